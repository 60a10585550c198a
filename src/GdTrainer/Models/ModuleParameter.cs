namespace GdTrainer.Models;

using GdTrainer.Autograd;

/// <summary>
/// A trainable tensor of a <see cref="Module"/> with its name and kind (one entry of PyTorch's
/// <c>named_parameters()</c>).
/// </summary>
public sealed class ModuleParameter
{
    /// <summary>Creates a parameter entry.</summary>
    /// <param name="name">A name unique within the module, such as <c>weight</c> or <c>bias</c>.</param>
    /// <param name="value">The leaf tensor that requires grad and that the optimizer updates in place.</param>
    /// <param name="kind">Whether the tensor is a weight or a bias.</param>
    /// <exception cref="ArgumentException">The name is empty, or the tensor is not a leaf that requires grad.</exception>
    public ModuleParameter(string name, Tensor<float> value, ParameterKind kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!value.IsLeaf || !value.RequiresGrad)
        {
            throw new ArgumentException($"Parameter '{name}' must be a leaf tensor with RequiresGrad = true, but got {value}.", nameof(value));
        }

        Name = name;
        Value = value;
        Kind = kind;
    }

    private ModuleParameter(ModuleParameter local, string prefix)
    {
        Name = prefix + local.Name;
        Value = local.Value;
        Kind = local.Kind;
    }

    /// <summary>
    /// The parameter's name: its local name (<c>weight</c>) as registered, or, in the lists of
    /// <see cref="Module.NamedParameters"/>, its qualified name from the module it was asked of
    /// (<c>0.weight</c>, <c>layers.2.bias</c>), the key of <see cref="Module.GetStateDict"/>.
    /// </summary>
    public string Name { get; }

    /// <summary>The leaf tensor holding the parameter's values (and, after a backward pass, its gradient).</summary>
    public Tensor<float> Value { get; }

    /// <summary>Whether it is a weight (decayed by default) or a bias (not decayed by default).</summary>
    public ParameterKind Kind { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Kind}): {Value}";

    /// <summary>The same parameter under <c>prefix + Name</c>; no re-validation, so a parameter frozen after registration (RequiresGrad = false) is still listed.</summary>
    internal ModuleParameter WithPrefix(string prefix) => new(this, prefix);
}
