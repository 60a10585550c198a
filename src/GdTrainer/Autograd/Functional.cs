using System.Numerics;

namespace GdTrainer.Autograd;

/// <summary>
/// Fused operations for the common building blocks of models and losses (PyTorch's
/// <c>torch.nn.functional</c>): each is a single graph node, so a training step records and frees
/// fewer nodes and buffers than the same formula written with elementary operations.
/// </summary>
public static partial class Functional
{
    /// <summary>
    /// <c>input @ weight + bias</c>: <c>[n, d] @ [d, k] + [k] -> [n, k]</c> or <c>[n, d] @ [d] + [1] -> [n]</c>
    /// (any matrix-product form of <see cref="Tensor{T}.MatMul"/>, with a bias that broadcasts to the result).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit (the message names them).</exception>
    public static Tensor<T> Linear<T>(Tensor<T> input, Tensor<T> weight, Tensor<T> bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(bias);
        return LinearNode<T>.Forward(input, weight, bias);
    }

    /// <summary>
    /// The mean squared error <c>mean((prediction - target)^2)</c> as a scalar, or with example weights
    /// <c>sum(w (prediction - target)^2) / sum(w)</c>. The weights are constants: no gradient flows to them.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ, or the weights require grad.</exception>
    public static Tensor<T> MseLoss<T>(Tensor<T> prediction, Tensor<T> target, Tensor<T>? weights = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        return MseLossNode<T>.Forward(prediction, target, weights);
    }
}
