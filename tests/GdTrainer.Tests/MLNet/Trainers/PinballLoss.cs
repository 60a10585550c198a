namespace GdTrainer.Tests.MLNet;

using System.Numerics;
using GdTrainer.Autograd;
using GdTrainer.Losses;

/// <summary>
/// A user's own loss, written with tensor operations only (no backward code): the pinball (quantile) loss
/// <c>mean(max(tau r, (tau - 1) r))</c> with <c>r = y - p</c>, whose minimiser is the tau-quantile of y given x.
/// </summary>
internal sealed class PinballLoss(float tau) : Loss
{
    internal float Tau { get; } = tau;

    /// <summary>The pointwise loss <c>tau relu(r) + (1 - tau) relu(-r)</c>, generic so that a gradcheck runs it in double.</summary>
    internal static Tensor<T> Pointwise<T>(Tensor<T> predictions, Tensor<T> targets, T tau)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor<T> residual = targets - predictions;
        return (tau * residual.Relu()) + ((T.One - tau) * residual.Negate().Relu());
    }

    /// <inheritdoc/>
    public override Tensor<float> Compute(Tensor<float> predictions, Tensor<float> targets, Tensor<float>? weights = null)
    {
        Tensor<float> pointwise = Pointwise(predictions, targets, Tau);
        return weights is null ? pointwise.Mean() : (pointwise * weights).Sum() / weights.Sum().Item();
    }
}
