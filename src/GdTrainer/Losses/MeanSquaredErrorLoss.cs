namespace GdTrainer.Losses;

using GdTrainer.Autograd;

/// <summary>
/// The mean squared error <c>mean((p - y)^2)</c> (PyTorch's <c>nn.MSELoss()</c>); with example weights
/// <c>w</c>, the weighted mean <c>sum(w_i (p_i - y_i)^2) / sum(w_i)</c>.
/// </summary>
/// <remarks>
/// Predictions and targets have the same shape, <c>[n]</c> or <c>[n, k]</c>; weights are <c>[n]</c>, one per
/// example (for <c>[n, k]</c>: <c>sum_i w_i sum_j (p_ij - y_ij)^2 / (k sum_i w_i)</c>). The target's shape is
/// accepted for the weights too (one weight per element). Gradients flow to predictions and targets.
/// One fused graph node (<see cref="Functional.MseLoss{T}"/>).
/// </remarks>
public sealed class MeanSquaredErrorLoss : Loss
{
    /// <inheritdoc/>
    public override Tensor<float> Compute(Tensor<float> predictions, Tensor<float> targets, Tensor<float>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);

        // One fused node (the residual is kept for the backward) rather than subtract, square and mean.
        return Functional.MseLoss(predictions, targets, weights);
    }

    /// <inheritdoc/>
    internal override float? LinearRateFactor => 1f;
}
