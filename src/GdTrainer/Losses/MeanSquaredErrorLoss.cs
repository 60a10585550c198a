namespace GdTrainer.Losses;

using GdTrainer.Autograd;

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

        if (weights is not null && !weights.Shape.SequenceEqual(targets.Shape))
        {
            throw new ArgumentException($"MeanSquaredErrorLoss: weights {weights} must have the targets' shape.", nameof(weights));
        }

        // One fused node (the residual is kept for the backward) rather than subtract, square and mean.
        return Functional.MseLoss(predictions, targets, weights);
    }
}
