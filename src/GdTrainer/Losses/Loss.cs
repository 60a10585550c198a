namespace GdTrainer.Losses;

using GdTrainer.Autograd;

/// <summary>
/// A training objective: a differentiable scalar computed from a batch of predictions and targets,
/// optionally weighting each example. Trainers depend only on this type, so other losses can
/// replace <see cref="MeanSquaredErrorLoss"/> without changing the trainer.
/// </summary>
public abstract class Loss
{
    /// <summary>Computes the loss of a batch as a scalar tensor, recording the graph when grad mode is on.</summary>
    /// <param name="predictions">The model's outputs, shape <c>[n]</c>.</param>
    /// <param name="targets">The true values, shape <c>[n]</c>.</param>
    /// <param name="weights">Optional per-example weights, shape <c>[n]</c>, non-negative with a positive sum; null weighs every example 1.</param>
    /// <returns>A scalar tensor.</returns>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public abstract Tensor<float> Compute(Tensor<float> predictions, Tensor<float> targets, Tensor<float>? weights = null);
}
