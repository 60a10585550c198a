namespace GdTrainer.Models;

using System.Globalization;
using GdTrainer.Autograd;
using GdTrainer.Models.Lowering;
using GdTrainer.Models.Records;

/// <summary>
/// A chain of modules applied in order (PyTorch's <c>nn.Sequential</c>): the output of each is the input
/// of the next. The modules are children named <c>"0"</c>, <c>"1"</c>, ..., so parameter keys read
/// <c>"0.weight"</c>, <c>"2.bias"</c> as in PyTorch.
/// </summary>
public sealed class Sequential : Module
{
    private readonly Module[] _modules;

    /// <summary>Creates the chain of <paramref name="modules"/>, in order.</summary>
    /// <param name="modules">At least one module. An instance given twice shares its parameters between both places (listed once by <see cref="Module.NamedParameters"/>, as in PyTorch).</param>
    /// <exception cref="ArgumentException">No module is given, or one is null.</exception>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        if (modules.Length == 0)
        {
            throw new ArgumentException("Sequential needs at least one module.", nameof(modules));
        }

        _modules = new Module[modules.Length];
        for (int i = 0; i < modules.Length; i++)
        {
            if (modules[i] is null)
            {
                throw new ArgumentException($"Module {i} of the Sequential is null.", nameof(modules));
            }

            _modules[i] = RegisterModule(i.ToString(CultureInfo.InvariantCulture), modules[i]);
        }
    }

    /// <summary>The number of modules in the chain.</summary>
    public int Count => _modules.Length;

    /// <summary>The module at <paramref name="index"/> (0-based), the child named <c>index.ToString()</c>.</summary>
    /// <exception cref="IndexOutOfRangeException">The index is outside <c>[0, Count)</c>.</exception>
    public Module this[int index] => _modules[index];

    /// <summary>The last module's output bias (null when it is an activation or has no bias).</summary>
    public override Tensor<float>? OutputBias => _modules[^1].OutputBias;

    /// <summary>Applies every module in order.</summary>
    /// <param name="input">The input of the first module, usually <c>[n, d]</c>.</param>
    /// <returns>The output of the last module.</returns>
    /// <exception cref="ArgumentException">A module rejects the shape it receives (its message names it).</exception>
    public override Tensor<float> Forward(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor<float> output = input;
        for (int i = 0; i < _modules.Length; i++)
        {
            output = _modules[i].Forward(output);
        }

        return output;
    }

    /// <summary>Each module in order.</summary>
    internal override string? LowerForInference(InferenceLowering lowering, string path)
    {
        foreach (KeyValuePair<string, Module> child in NamedChildren())
        {
            if (lowering.LowerChild(path, child.Key, child.Value) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>Format record (tag 4): child count int32, then each child's record (its tag and settings) in order.</summary>
    internal override void WriteRecord(ModuleRecordWriter writer)
    {
        writer.Write(Count);
        foreach (KeyValuePair<string, Module> child in NamedChildren())
        {
            writer.WriteChild(child.Key, child.Value);
        }
    }

    /// <summary>Reads what <see cref="WriteRecord"/> writes.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader)
    {
        int count = reader.Int32("child count");
        if (count < 1 || count > reader.Remaining)
        {
            throw ModuleRecordReader.Damaged(
                $"{reader.Where} states {count} children; a Sequential has at least 1, and each takes at least one of the remaining {reader.Remaining} bytes");
        }

        var children = new ModuleRecord[count];
        double parameterCount = 0;
        for (int i = 0; i < count; i++)
        {
            children[i] = reader.ReadChild(i.ToString(CultureInfo.InvariantCulture));
            parameterCount += children[i].ParameterCount;
        }

        return new ModuleRecord(parameterCount, () => new Sequential([.. children.Select(child => child.Build())]));
    }

    /// <summary>The first module reads the sparse rows; the others run on its dense output.</summary>
    /// <exception cref="NotSupportedException">The sequence is empty, or its first module cannot read sparse rows.</exception>
    internal override Tensor<float> ForwardSparse(SparseRows input)
    {
        if (_modules.Length == 0)
        {
            throw new NotSupportedException("An empty Sequential cannot read sparse rows.");
        }

        Tensor<float> output = _modules[0].ForwardSparse(input);
        for (int i = 1; i < _modules.Length; i++)
        {
            output = _modules[i].Forward(output);
        }

        return output;
    }
}
