namespace GdTrainer.Losses;

using GdTrainer.Autograd;

/// <summary>
/// The mean absolute error <c>mean(|p - y|)</c> (PyTorch's <c>nn.L1Loss()</c>); with example weights, the
/// weighted mean <c>sum(w_i |p_i - y_i|) / sum(w_i)</c>. The gradient at <c>p = y</c> is 0, as PyTorch's.
/// </summary>
/// <remarks>
/// Predictions and targets have the same shape, <c>[n]</c> or <c>[n, k]</c>; weights are <c>[n]</c> (see
/// <see cref="Loss"/> for the <c>[n, k]</c> mean). Gradients flow to predictions and targets. One fused graph
/// node (<see cref="Functional.L1Loss{T}"/>).
/// </remarks>
public sealed class L1Loss : Loss
{
    /// <inheritdoc/>
    public override Tensor<float> Compute(Tensor<float> predictions, Tensor<float> targets, Tensor<float>? weights = null) =>
        Functional.L1Loss(predictions, targets, weights);

    /// <inheritdoc/>
    internal override double PrecisionFloor(double labelSquareMean, double initialLoss, int featureCount) =>
        RelativeResolution(featureCount) * Math.Max(Math.Sqrt(labelSquareMean), Math.Abs(initialLoss));

    /// <inheritdoc/>
    /// <remarks>The absolute error has no curvature away from 0; the least-squares rate keeps its steps on the data's scale.</remarks>
    internal override float? LinearRateFactor => 1f;
}
