namespace GdTrainer.Losses;

using GdTrainer.Autograd;

/// <summary>
/// The binary cross-entropy of logits (PyTorch's <c>nn.BCEWithLogitsLoss(pos_weight)</c>): with <c>x</c> the
/// logit, <c>y</c> the target probability and <c>p</c> the positive-class weight,
/// <c>-[p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]</c>, computed in the stable form
/// <c>max(x, 0) - x y + log(1 + exp(-|x|))</c> (generalised for <c>p</c> as PyTorch does), so logits of any
/// size stay finite and exact: a confidently wrong logit of ±100 costs 100 with gradient ±1.
/// Averaged, or weighted, as <see cref="Loss"/> describes.
/// </summary>
/// <remarks>
/// Predictions (logits) and targets (in [0, 1], usually 0 or 1) have the same shape, <c>[n]</c> or
/// <c>[n, k]</c> (k independent labels); weights are <c>[n]</c>. Gradients flow to predictions and targets.
/// One fused graph node (<see cref="Functional.BinaryCrossEntropyWithLogits{T}"/>).
/// </remarks>
public sealed class BinaryCrossEntropyWithLogitsLoss : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="positiveClassWeight">PyTorch's <c>pos_weight</c> (one value for every output): the weight of the positive term, e.g. negatives / positives for an imbalanced label; positive and finite. Default: null (1: no reweighting).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="positiveClassWeight"/> is not positive and finite.</exception>
    public BinaryCrossEntropyWithLogitsLoss(float? positiveClassWeight = null)
    {
        if (positiveClassWeight is float value && !(float.IsFinite(value) && value > 0f))
        {
            throw new ArgumentOutOfRangeException(
                nameof(positiveClassWeight), positiveClassWeight, "BinaryCrossEntropyWithLogitsLoss: the positive-class weight must be positive and finite (null means 1).");
        }

        PositiveClassWeight = positiveClassWeight;
    }

    /// <summary>The positive-class weight, or null for 1.</summary>
    public float? PositiveClassWeight { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A target is outside [0, 1] or NaN (the message names its index), or see <see cref="Loss.Compute"/>.</exception>
    public override Tensor<float> Compute(Tensor<float> predictions, Tensor<float> targets, Tensor<float>? weights = null) =>
        Functional.BinaryCrossEntropyWithLogits(predictions, targets, weights, PositiveClassWeight);

    /// <inheritdoc/>
    /// <remarks>
    /// The mean binary cross-entropy's second derivative in the logit is <c>p sigmoid'(x) &lt;= p / 4</c> (p the positive-class
    /// weight, at least 1), against 2 for the squared error: its Hessian is at most <c>p / 8</c> of the least-squares one.
    /// </remarks>
    internal override float? LinearRateFactor => 8f / Math.Max(1f, PositiveClassWeight ?? 1f);
}
