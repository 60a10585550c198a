namespace GdTrainer.Models;

using GdTrainer.Autograd;

/// <summary>
/// A differentiable model (PyTorch's <c>nn.Module</c>): a list of trainable parameters and a forward
/// pass from a batch of feature rows to one prediction per row. Trainers depend only on this type,
/// so models with hidden layers can replace <see cref="LinearModel"/> without changing the trainer.
/// </summary>
public abstract class Module
{
    /// <summary>The number of features each input row must have.</summary>
    public abstract int InputSize { get; }

    /// <summary>The trainable parameters, in a fixed order.</summary>
    public abstract IReadOnlyList<ModuleParameter> Parameters { get; }

    /// <summary>Computes the predictions for a batch, recording the graph when grad mode is on.</summary>
    /// <param name="features">A <c>[n, InputSize]</c> tensor, one row per example.</param>
    /// <returns>A <c>[n]</c> tensor with one prediction per row.</returns>
    /// <exception cref="ArgumentException">The features do not have <see cref="InputSize"/> columns.</exception>
    public abstract Tensor<float> Forward(Tensor<float> features);
}
