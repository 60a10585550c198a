using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GdTrainer.Autograd;

/// <summary>
/// The pointwise part of an elementwise loss: the loss of one prediction <c>p</c> against one target
/// <c>y</c> and its two partial derivatives. Implemented by small structs so that the generic node
/// below is specialised (and the kernel inlined) per loss.
/// </summary>
internal interface IElementwiseLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The loss's name as graphs and error messages show it.</summary>
    static abstract string Name { get; }

    /// <summary>Returns <c>l(p, y)</c> and sets <paramref name="dp"/> = dl/dp and <paramref name="dy"/> = dl/dy.</summary>
    T Evaluate(T p, T y, out T dp, out T dy);
}

/// <summary>
/// A loss that is a weighted mean of pointwise losses over predictions and targets of the same shape
/// <c>[n]</c> or <c>[n, k]</c>: <c>sum_ij w_ij l(p_ij, y_ij) / sum_ij w_ij</c>, where the example weights are
/// one per row (<c>w_ij = w_i</c>, so the denominator is <c>k sum_i w_i</c>), one per element, or all 1 (the
/// plain mean over the <c>n k</c> elements, PyTorch's <c>reduction='mean'</c>). The forward pass computes
/// each pointwise derivative once and saves <c>w_ij dl/dp_ij / sum(w)</c>; see <see cref="LossNode{T}"/>.
/// </summary>
internal sealed class ElementwiseLossNode<T, TKernel> : LossNode<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TKernel : struct, IElementwiseLoss<T>
{
    private ElementwiseLossNode(Tensor<T> prediction, Tensor<T> target, T[]? predictionGradient, T[]? targetGradient)
        : base(prediction, target, predictionGradient, targetGradient)
    {
    }

    internal override string Name => TKernel.Name;

    internal static Tensor<T> Forward(Tensor<T> prediction, Tensor<T> target, Tensor<T>? weights, TKernel kernel)
    {
        CheckSameShape(TKernel.Name, prediction, target);
        bool rowWeights = false;
        T totalWeight = T.Zero;
        if (weights is not null)
        {
            totalWeight = CheckWeights(TKernel.Name, weights, target, allowElementWeights: true, out rowWeights);
        }

        (_, int columns) = Layout(prediction);
        int length = prediction.Length;
        T[]? predictionGradient = RentGradient(prediction);
        T[]? targetGradient = RentGradient(target);
        ReadOnlySpan<T> p = prediction.Data;
        ReadOnlySpan<T> y = target.Data;
        ReadOnlySpan<T> w = weights is null ? default : weights.Data;

        // The sum is accumulated in double: a float running sum over a large batch would lose digits.
        double sum = 0;
        if (typeof(TKernel) == typeof(BinaryCrossEntropyWithLogitsKernel<T>))
        {
            // A branch the JIT removes for every other loss: this one's exponentials and logarithms run vectorized.
            sum = Unsafe.As<TKernel, BinaryCrossEntropyWithLogitsKernel<T>>(ref kernel).EvaluateAll(p, y, w, rowWeights ? columns : 0, predictionGradient, targetGradient);
        }
        else
        {
            for (int e = 0; e < length; e++)
            {
                T loss = kernel.Evaluate(p[e], y[e], out T dp, out T dy);
                if (weights is not null)
                {
                    T weight = rowWeights ? w[e / columns] : w[e];
                    loss *= weight;
                    dp *= weight;
                    dy *= weight;
                }

                sum += double.CreateTruncating(loss);
                if (predictionGradient is not null)
                {
                    predictionGradient[e] = dp;
                }

                if (targetGradient is not null)
                {
                    targetGradient[e] = dy;
                }
            }
        }

        T denominator = weights is null
            ? T.CreateTruncating(length)
            : rowWeights ? totalWeight * T.CreateTruncating(columns) : totalWeight;
        T inverse = T.One / denominator;
        if (predictionGradient is not null)
        {
            TensorPrimitives.Multiply(predictionGradient.AsSpan(0, length), inverse, predictionGradient.AsSpan(0, length));
        }

        if (targetGradient is not null)
        {
            TensorPrimitives.Multiply(targetGradient.AsSpan(0, length), inverse, targetGradient.AsSpan(0, length));
        }

        T value = T.CreateTruncating(sum / double.CreateTruncating(denominator));
        Node<T>? node = ShouldRecord(prediction, target)
            ? new ElementwiseLossNode<T, TKernel>(prediction, target, predictionGradient, targetGradient)
            : null;
        return new Tensor<T>(TensorMemory<T>.Scalar(value), Shapes.Scalar, node);
    }
}

/// <summary>PyTorch's <c>l1_loss</c>: <c>|p - y|</c>; the derivative at <c>p = y</c> is 0, as PyTorch's <c>sign</c>.</summary>
internal readonly struct L1LossKernel<T> : IElementwiseLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static string Name => "L1Loss";

    public T Evaluate(T p, T y, out T dp, out T dy)
    {
        T r = p - y;
        dp = r > T.Zero ? T.One : r < T.Zero ? -T.One : r; // r itself at 0 (0) and for NaN (NaN)
        dy = -dp;
        return T.Abs(r);
    }
}

/// <summary>
/// PyTorch's <c>huber_loss</c> with threshold <c>delta</c>: <c>0.5 r^2</c> for <c>|r| &lt; delta</c>, else
/// <c>delta (|r| - 0.5 delta)</c>, with <c>r = p - y</c>; the derivative is <c>r</c> inside and
/// <c>delta sign(r)</c> outside (both equal at <c>|r| = delta</c>).
/// </summary>
internal readonly struct HuberLossKernel<T>(T delta) : IElementwiseLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly T s_half = T.CreateTruncating(0.5);

    public static string Name => "HuberLoss";

    public T Evaluate(T p, T y, out T dp, out T dy)
    {
        T r = p - y;
        T magnitude = T.Abs(r);
        T loss;
        if (magnitude < delta)
        {
            dp = r;
            loss = s_half * r * r;
        }
        else
        {
            dp = r > T.Zero ? delta : r < T.Zero ? -delta : r; // NaN stays NaN
            loss = delta * (magnitude - (s_half * delta));
        }

        dy = -dp;
        return loss;
    }
}

/// <summary>
/// PyTorch's <c>poisson_nll_loss(log_input=True)</c>: <c>exp(p) - y p</c> with <c>p</c> the log of the rate;
/// with <c>full</c>, plus the Stirling approximation of <c>log(y!)</c>, <c>y log y - y + 0.5 log(2 pi y)</c>,
/// for targets above 1 (PyTorch adds it only where <c>y &gt; 1</c>).
/// </summary>
internal readonly struct PoissonNllLossKernel<T>(bool full) : IElementwiseLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly T s_half = T.CreateTruncating(0.5);
    private static readonly T s_twoPi = T.CreateTruncating(2 * Math.PI);

    public static string Name => "PoissonNllLoss";

    public T Evaluate(T p, T y, out T dp, out T dy)
    {
        T rate = T.Exp(p);
        dp = rate - y;
        dy = -p;
        T loss = rate - (y * p);
        if (full && y > T.One)
        {
            T logY = T.Log(y);
            loss += (y * logY) - y + (s_half * T.Log(s_twoPi * y));
            dy += logY + (s_half / y);
        }

        return loss;
    }
}

/// <summary>
/// PyTorch's <c>binary_cross_entropy_with_logits</c> in its stable form: with <c>x</c> the logit, <c>y</c> the
/// target probability and <c>c = 1 + (posWeight - 1) y</c> (1 without a positive-class weight),
/// <c>l = (1 - y) x + c softplus(-x)</c>, <c>softplus(-x) = max(-x, 0) + log(1 + exp(-|x|))</c>; without
/// a positive-class weight this is <c>max(x, 0) - x y + log(1 + exp(-|x|))</c>. Derivatives:
/// <c>dl/dx = c sigmoid(x) - posWeight y</c> (<c>sigmoid(x) - y</c> without a positive-class weight), <c>dl/dy = -x + (posWeight - 1) softplus(-x)</c>.
/// </summary>
internal readonly struct BinaryCrossEntropyWithLogitsKernel<T>(T positiveClassWeight) : IElementwiseLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static string Name => "BinaryCrossEntropyWithLogitsLoss";

    public T Evaluate(T p, T y, out T dp, out T dy)
    {
        T decay = T.Exp(-T.Abs(p)); // in (0, 1]: never overflows
        T softplusOfNegative = T.Max(-p, T.Zero) + T.LogP1(decay);
        T sigmoid = p >= T.Zero ? T.One / (T.One + decay) : decay / (T.One + decay);
        T extra = positiveClassWeight - T.One;
        T c = T.One + (extra * y);
        dp = (c * sigmoid) - (positiveClassWeight * y); // = (1 - y) - c sigmoid(-x), without the cancellation for x << 0
        dy = (extra * softplusOfNegative) - p;
        return ((T.One - y) * p) + (c * softplusOfNegative);
    }

    /// <summary>
    /// <see cref="Evaluate"/> over all elements, writing the weighted derivatives (when their buffers are given) and returning
    /// the weighted loss sum in double. For float, eight elements at a time with <see cref="Vector256.Exp(Vector256{float})"/>
    /// and <see cref="Vector256.Log(Vector256{float})"/> (the same formulas, to within their rounding) instead of a scalar
    /// <c>Exp</c> and <c>LogP1</c> per element. <paramref name="rowLength"/> is the row length for one weight per row, 0 for
    /// one per element. Measured on adult (26,009 rows): the scalar loop was ~8% of the linear model's fit (perf samples).
    /// Written with Vector256 directly rather than TensorPrimitives calls: those generic instantiations stayed at the
    /// unoptimised first JIT tier for most of a short fit (perf showed their operators not inlined). Compiled fully optimised
    /// at once (AggressiveOptimization): adult's linear Fit, best of 15 warm fits, 39-51 ms with it against 67-104 ms
    /// without, three alternating runs each (2026-12-02).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal double EvaluateAll(ReadOnlySpan<T> p, ReadOnlySpan<T> y, ReadOnlySpan<T> w, int rowLength, T[]? predictionGradient, T[]? targetGradient)
    {
        int length = p.Length;
        int vectorized = typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated ? length - (length % Vector256<float>.Count) : 0;
        Span<T> dpOut = predictionGradient is null ? default : predictionGradient.AsSpan(0, length);
        Span<T> dyOut = targetGradient is null ? default : targetGradient.AsSpan(0, length);
        double sum = 0;
        if (vectorized > 0)
        {
            ReadOnlySpan<float> logits = MemoryMarshal.Cast<T, float>(p);
            ReadOnlySpan<float> targets = MemoryMarshal.Cast<T, float>(y);
            Span<float> dpValues = MemoryMarshal.Cast<T, float>(dpOut);
            Span<float> dyValues = MemoryMarshal.Cast<T, float>(dyOut);
            float positive = float.CreateTruncating(positiveClassWeight);
            var weightOfPositive = Vector256.Create(positive);
            var extra = Vector256.Create(positive - 1f);
            Span<float> losses = stackalloc float[Vector256<float>.Count];
            for (int i = 0; i < vectorized; i += Vector256<float>.Count)
            {
                Vector256<float> x = Vector256.Create(logits.Slice(i, Vector256<float>.Count));
                Vector256<float> target = Vector256.Create(targets.Slice(i, Vector256<float>.Count));
                Vector256<float> decay = Vector256.Exp(-Vector256.Abs(x)); // in (0, 1]: never overflows
                Vector256<float> onePlusDecay = Vector256<float>.One + decay;
                Vector256<float> softplusOfNegative = Vector256.Max(-x, Vector256<float>.Zero) + Vector256.Log(onePlusDecay);
                Vector256<float> sigmoidOfMagnitude = Vector256<float>.One / onePlusDecay;
                Vector256<float> sigmoid = Vector256.ConditionalSelect(
                    Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), sigmoidOfMagnitude, decay * sigmoidOfMagnitude);
                Vector256<float> c = Vector256<float>.One + (extra * target);
                Vector256<float> dp = (c * sigmoid) - (weightOfPositive * target);
                Vector256<float> dy = (extra * softplusOfNegative) - x;
                Vector256<float> loss = ((Vector256<float>.One - target) * x) + (c * softplusOfNegative);
                if (w.IsEmpty)
                {
                    if (!dpValues.IsEmpty)
                    {
                        dp.CopyTo(dpValues.Slice(i));
                    }

                    if (!dyValues.IsEmpty)
                    {
                        dy.CopyTo(dyValues.Slice(i));
                    }

                    sum += Vector256.Sum(Vector256.WidenLower(loss) + Vector256.WidenUpper(loss));
                    continue;
                }

                // Example weights (one per row or per element): applied lane by lane.
                loss.CopyTo(losses);
                for (int lane = 0; lane < Vector256<float>.Count; lane++)
                {
                    int at = i + lane;
                    float weight = float.CreateTruncating(rowLength > 0 ? w[at / rowLength] : w[at]);
                    sum += (double)(losses[lane] * weight);
                    if (!dpValues.IsEmpty)
                    {
                        dpValues[at] = dp.GetElement(lane) * weight;
                    }

                    if (!dyValues.IsEmpty)
                    {
                        dyValues[at] = dy.GetElement(lane) * weight;
                    }
                }
            }
        }

        for (int at = vectorized; at < length; at++)
        {
            T loss = Evaluate(p[at], y[at], out T dp, out T dy);
            if (!w.IsEmpty)
            {
                T weight = rowLength > 0 ? w[at / rowLength] : w[at];
                loss *= weight;
                dp *= weight;
                dy *= weight;
            }

            sum += double.CreateTruncating(loss);
            if (!dpOut.IsEmpty)
            {
                dpOut[at] = dp;
            }

            if (!dyOut.IsEmpty)
            {
                dyOut[at] = dy;
            }
        }

        return sum;
    }
}
