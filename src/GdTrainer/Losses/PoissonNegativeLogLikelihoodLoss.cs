namespace GdTrainer.Losses;

using GdTrainer.Autograd;

/// <summary>
/// The Poisson negative log-likelihood with log input (PyTorch's <c>nn.PoissonNLLLoss(log_input=True, full=False)</c>):
/// the prediction <c>p</c> is the log of the Poisson rate, and the pointwise loss is <c>exp(p) - y p</c>, the
/// negative log-likelihood of the count <c>y</c> up to the constant <c>log(y!)</c>. With <see cref="Full"/>,
/// PyTorch's Stirling approximation of that constant, <c>y log y - y + 0.5 log(2 pi y)</c>, is added where
/// <c>y &gt; 1</c>. Averaged, or weighted, as <see cref="Loss"/> describes.
/// </summary>
/// <remarks>
/// Predictions (log rates) and targets (non-negative counts) have the same shape, <c>[n]</c> or <c>[n, k]</c>;
/// weights are <c>[n]</c>. The fitted rate is <c>exp(p)</c>. Gradients flow to predictions and targets.
/// One fused graph node (<see cref="Functional.PoissonNllLoss{T}"/>).
/// </remarks>
public sealed class PoissonNegativeLogLikelihoodLoss : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="full">Add the Stirling term (PyTorch's <c>full</c>); it changes the value but not the gradient with respect to the predictions. Default: false.</param>
    public PoissonNegativeLogLikelihoodLoss(bool full = false)
    {
        Full = full;
    }

    /// <summary>Whether the Stirling approximation of <c>log(y!)</c> is added (PyTorch's <c>full</c>). Default: false.</summary>
    public bool Full { get; }

    /// <inheritdoc/>
    public override Tensor<float> Compute(Tensor<float> predictions, Tensor<float> targets, Tensor<float>? weights = null) =>
        Functional.PoissonNllLoss(predictions, targets, weights, Full);
}
