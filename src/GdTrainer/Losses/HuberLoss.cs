namespace GdTrainer.Losses;

using GdTrainer.Autograd;

/// <summary>
/// The Huber loss (PyTorch's <c>nn.HuberLoss(delta)</c>): with <c>r = p - y</c>, <c>0.5 r^2</c> where
/// <c>|r| &lt; delta</c> and <c>delta (|r| - 0.5 delta)</c> elsewhere: quadratic near the target, linear
/// (robust to outliers) beyond <c>delta</c>. Averaged, or weighted, as <see cref="Loss"/> describes.
/// </summary>
/// <remarks>
/// Predictions and targets have the same shape, <c>[n]</c> or <c>[n, k]</c>; weights are <c>[n]</c>. Gradients
/// flow to predictions and targets. One fused graph node (<see cref="Functional.HuberLoss{T}"/>).
/// </remarks>
public sealed class HuberLoss : Loss
{
    /// <summary>Creates the Huber loss.</summary>
    /// <param name="delta">The threshold between the quadratic and the linear part, in the units of the target; positive and finite. Default: 1 (PyTorch's).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not positive and finite.</exception>
    public HuberLoss(float delta = 1f)
    {
        if (!(float.IsFinite(delta) && delta > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "HuberLoss: delta must be positive and finite (PyTorch's default is 1).");
        }

        Delta = delta;
    }

    /// <summary>The threshold between the quadratic and the linear part.</summary>
    public float Delta { get; }

    /// <inheritdoc/>
    public override Tensor<float> Compute(Tensor<float> predictions, Tensor<float> targets, Tensor<float>? weights = null) =>
        Functional.HuberLoss(predictions, targets, weights, Delta);

    /// <inheritdoc/>
    /// <remarks>The Huber loss's second derivative is 1 inside delta and 0 outside: at most the squared error's half.</remarks>
    internal override float? LinearRateFactor => 1f;
}
