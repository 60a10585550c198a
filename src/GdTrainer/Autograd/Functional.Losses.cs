using System.Globalization;
using System.Numerics;

namespace GdTrainer.Autograd;

// The fused losses (PyTorch's torch.nn.functional losses with reduction='mean'). Each is one graph
// node whose forward pass also computes the gradient, so a training step records one node for the loss.
public static partial class Functional
{
    /// <summary>
    /// The mean absolute error (PyTorch's <c>F.l1_loss</c>): the mean of <c>|prediction - target|</c>, or the
    /// weighted mean with example <paramref name="weights"/>. The gradient at <c>prediction = target</c> is 0,
    /// as PyTorch's. Gradients flow to the prediction and the target.
    /// </summary>
    /// <param name="prediction">Shape <c>[n]</c> or <c>[n, k]</c> (a scalar counts as one example).</param>
    /// <param name="target">The prediction's shape.</param>
    /// <param name="weights">Optional example weights: <c>[n]</c> (one per row, for <c>[n, k]</c> the denominator is <c>k sum(w)</c>) or the target's shape; finite, non-negative, with a positive sum; constants (must not require grad). Default: null (plain mean).</param>
    /// <returns>A scalar tensor.</returns>
    /// <exception cref="ArgumentException">The shapes differ (the message names both), or a weight is negative, NaN or infinite, the weights sum to 0, or they require grad.</exception>
    public static Tensor<T> L1Loss<T>(Tensor<T> prediction, Tensor<T> target, Tensor<T>? weights = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        return ElementwiseLossNode<T, L1LossKernel<T>>.Forward(prediction, target, weights, default);
    }

    /// <summary>
    /// The Huber loss (PyTorch's <c>F.huber_loss</c>): with <c>r = prediction - target</c>, <c>0.5 r^2</c> where
    /// <c>|r| &lt; delta</c> and <c>delta (|r| - 0.5 delta)</c> elsewhere, averaged as <see cref="L1Loss{T}"/>.
    /// Gradients flow to the prediction and the target.
    /// </summary>
    /// <param name="prediction">Shape <c>[n]</c> or <c>[n, k]</c>.</param>
    /// <param name="target">The prediction's shape.</param>
    /// <param name="weights">Optional example weights; see <see cref="L1Loss{T}"/>. Default: null.</param>
    /// <param name="delta">The threshold between the quadratic and the linear part, in the units of the target; positive and finite. Default: 1 (PyTorch's).</param>
    /// <returns>A scalar tensor.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not positive and finite.</exception>
    /// <exception cref="ArgumentException">See <see cref="L1Loss{T}"/>.</exception>
    public static Tensor<T> HuberLoss<T>(Tensor<T> prediction, Tensor<T> target, Tensor<T>? weights = null, double delta = 1.0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        CheckHuberDelta(delta);
        return ElementwiseLossNode<T, HuberLossKernel<T>>.Forward(prediction, target, weights, new HuberLossKernel<T>(T.CreateTruncating(delta)));
    }

    /// <summary>
    /// The Poisson negative log-likelihood with log input (PyTorch's <c>F.poisson_nll_loss(log_input=True)</c>):
    /// the prediction is the log of the Poisson rate and the pointwise loss is <c>exp(prediction) - target * prediction</c>;
    /// with <paramref name="full"/>, plus PyTorch's Stirling term <c>y log y - y + 0.5 log(2 pi y)</c> where the target
    /// <c>y &gt; 1</c>. Averaged as <see cref="L1Loss{T}"/>. Gradients flow to the prediction and the target.
    /// </summary>
    /// <param name="logRate">The predicted log rate, shape <c>[n]</c> or <c>[n, k]</c>.</param>
    /// <param name="target">The observed counts (non-negative), the prediction's shape.</param>
    /// <param name="weights">Optional example weights; see <see cref="L1Loss{T}"/>. Default: null.</param>
    /// <param name="full">Add the Stirling approximation of <c>log(target!)</c> (PyTorch's <c>full</c>), which changes the value but not the gradient with respect to the prediction. Default: false.</param>
    /// <returns>A scalar tensor.</returns>
    /// <exception cref="ArgumentException">See <see cref="L1Loss{T}"/>.</exception>
    public static Tensor<T> PoissonNllLoss<T>(Tensor<T> logRate, Tensor<T> target, Tensor<T>? weights = null, bool full = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(logRate);
        ArgumentNullException.ThrowIfNull(target);
        return ElementwiseLossNode<T, PoissonNllLossKernel<T>>.Forward(logRate, target, weights, new PoissonNllLossKernel<T>(full));
    }

    /// <summary>
    /// The binary cross-entropy of logits (PyTorch's <c>F.binary_cross_entropy_with_logits</c>): with <c>x</c> the
    /// logit, <c>y</c> the target probability and <c>p</c> the positive-class weight,
    /// <c>-[p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]</c>, computed stably as
    /// <c>(1 - y) x + (1 + (p - 1) y) (max(-x, 0) + log(1 + exp(-|x|)))</c> (for <c>p = 1</c>:
    /// <c>max(x, 0) - x y + log(1 + exp(-|x|))</c>), so it stays finite and exact for any finite logit. Averaged as
    /// <see cref="L1Loss{T}"/>. Gradients flow to the logits and the target.
    /// </summary>
    /// <param name="logits">Shape <c>[n]</c> or <c>[n, k]</c> (k independent binary outputs per example).</param>
    /// <param name="target">Probabilities in [0, 1], the logits' shape.</param>
    /// <param name="weights">Optional example weights; see <see cref="L1Loss{T}"/>. Default: null.</param>
    /// <param name="positiveClassWeight">PyTorch's <c>pos_weight</c> (one value for every output): the weight of the positive term, e.g. negatives / positives for an imbalanced label; positive and finite. Default: null (1).</param>
    /// <returns>A scalar tensor.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="positiveClassWeight"/> is not positive and finite.</exception>
    /// <exception cref="ArgumentException">A target is outside [0, 1] or NaN (the message names its index), or see <see cref="L1Loss{T}"/>.</exception>
    public static Tensor<T> BinaryCrossEntropyWithLogits<T>(Tensor<T> logits, Tensor<T> target, Tensor<T>? weights = null, double? positiveClassWeight = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        double positive = positiveClassWeight ?? 1.0;
        if (!(double.IsFinite(positive) && positive > 0))
        {
            throw new ArgumentOutOfRangeException(
                nameof(positiveClassWeight), positiveClassWeight, "BinaryCrossEntropyWithLogitsLoss: the positive-class weight must be positive and finite (null means 1).");
        }

        ReadOnlySpan<T> y = target.Data;
        for (int i = 0; i < y.Length; i++)
        {
            if (!(y[i] >= T.Zero && y[i] <= T.One))
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"BinaryCrossEntropyWithLogitsLoss: target {i} is {y[i]}; targets are probabilities and must lie in [0, 1] (use 0 and 1 for class labels)."),
                    nameof(target));
            }
        }

        return ElementwiseLossNode<T, BinaryCrossEntropyWithLogitsKernel<T>>.Forward(
            logits, target, weights, new BinaryCrossEntropyWithLogitsKernel<T>(T.CreateTruncating(positive)));
    }

    /// <summary>
    /// The cross-entropy of logits against class indices (PyTorch's <c>F.cross_entropy</c> with class-index
    /// targets and <c>reduction='mean'</c>), computed from a stable log-softmax (finite and exact for logits of any
    /// finite size, e.g. around ±1e4). With class weights <c>a</c>, label smoothing <c>eps</c> over <c>k</c> classes
    /// and example weights <c>s</c>:
    /// <c>l_i = (1 - eps) a[c_i] (-log q_i[c_i]) + (eps / k) sum_j a[j] (-log q_i[j])</c> and
    /// <c>loss = sum_i s_i l_i / sum_i s_i a[c_i]</c>: the denominator is PyTorch's (the class weights of the targets,
    /// also for the smoothing term), and example weights multiply the class weights. No gradient flows to the class indices.
    /// </summary>
    /// <param name="logits">Unnormalised class scores, shape <c>[n, k]</c>.</param>
    /// <param name="classIndices">One class per row, shape <c>[n]</c>, holding whole numbers from 0 to k - 1.</param>
    /// <param name="weights">Optional example weights, shape <c>[n]</c>; finite, non-negative, constants. Default: null (all 1).</param>
    /// <param name="labelSmoothing">PyTorch's <c>label_smoothing</c>, in [0, 1]: the target distribution becomes <c>(1 - eps) onehot + eps / k</c>. Default: 0.</param>
    /// <param name="classWeights">PyTorch's <c>weight</c>: one finite non-negative weight per class (k of them). Default: null (all 1).</param>
    /// <returns>A scalar tensor.</returns>
    /// <exception cref="ArgumentException">The logits are not <c>[n, k]</c> or the indices not <c>[n]</c> (the message names both shapes); a class index is not a whole number in [0, k) (the message names the row and the value); the class weights are not k finite non-negative numbers; the example weights are invalid; or the weights of the batch sum to 0.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1].</exception>
    public static Tensor<T> CrossEntropy<T>(Tensor<T> logits, Tensor<T> classIndices, Tensor<T>? weights = null, double labelSmoothing = 0, T[]? classWeights = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(classIndices);
        return CrossEntropyLossNode<T>.Forward(logits, classIndices, weights, T.CreateTruncating(labelSmoothing), classWeights);
    }

    private static void CheckHuberDelta(double delta)
    {
        if (!(double.IsFinite(delta) && delta > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "HuberLoss: delta must be positive and finite (PyTorch's default is 1).");
        }
    }
}
