namespace GdTrainer.Losses;

using GdTrainer.Autograd;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

/// <summary>
/// The mean squared error <c>mean((p - y)^2)</c> (PyTorch's <c>nn.MSELoss()</c>); with example weights
/// <c>w</c>, the weighted mean <c>sum(w_i (p_i - y_i)^2) / sum(w_i)</c>.
/// </summary>
public sealed class MeanSquaredErrorLoss : Loss
{
    /// <inheritdoc/>
    public override Tensor<float> Compute(Tensor<float> predictions, Tensor<float> targets, Tensor<float>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        if (!predictions.Shape.SequenceEqual(targets.Shape))
        {
            throw new ArgumentException($"MeanSquaredErrorLoss: predictions {predictions} and targets {targets} must have the same shape.", nameof(targets));
        }

        Tensor<float> squared = (predictions - targets).Pow(2f);
        if (weights is null)
        {
            return squared.Mean();
        }

        if (!weights.Shape.SequenceEqual(targets.Shape))
        {
            throw new ArgumentException($"MeanSquaredErrorLoss: weights {weights} must have the targets' shape.", nameof(weights));
        }

        // The weights are constants, so their sum is too: sum(w r^2) / sum(w).
        float totalWeight = TensorPrimitives.Sum<float>(weights.Data);
        return (squared * weights).Sum() / totalWeight;
    }
}
