using System.Numerics;
using System.Numerics.Tensors;

namespace GdTrainer.Autograd;

// The differentiable operations and the in-place updates. Each operation's forward and backward
// live together in Operations/; the methods here are the public face.
public sealed partial class Tensor<T>
{
    /// <summary><c>this + other</c>, elementwise with broadcasting.</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public Tensor<T> Add(Tensor<T> other) => AddNode<T>.Forward(this, other);

    /// <summary><c>this - other</c>, elementwise with broadcasting.</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public Tensor<T> Subtract(Tensor<T> other) => SubtractNode<T>.Forward(this, other);

    /// <summary><c>this * other</c>, elementwise with broadcasting.</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public Tensor<T> Multiply(Tensor<T> other) => MultiplyNode<T>.Forward(this, other);

    /// <summary><c>this / other</c>, elementwise with broadcasting (IEEE semantics: division by zero gives infinity or NaN).</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public Tensor<T> Divide(Tensor<T> other) => DivideNode<T>.Forward(this, other);

    /// <summary><c>-this</c>.</summary>
    public Tensor<T> Negate() => NegateNode<T>.Forward(this);

    /// <summary><c>this ^ exponent</c> elementwise, for a constant exponent (PyTorch's <c>pow</c> with a number).</summary>
    public Tensor<T> Pow(T exponent) => PowNode<T>.Forward(this, exponent);

    /// <summary><c>e ^ this</c> elementwise.</summary>
    public Tensor<T> Exp() => ExpNode<T>.Forward(this);

    /// <summary>The natural logarithm elementwise (NaN below zero, negative infinity at zero).</summary>
    public Tensor<T> Log() => LogNode<T>.Forward(this);

    /// <summary>The square root elementwise (NaN below zero).</summary>
    public Tensor<T> Sqrt() => SqrtNode<T>.Forward(this);

    /// <summary>The absolute value elementwise; its gradient at 0 is taken as 0.</summary>
    public Tensor<T> Abs() => AbsNode<T>.Forward(this);

    /// <summary>The hyperbolic tangent elementwise.</summary>
    public Tensor<T> Tanh() => TanhNode<T>.Forward(this);

    /// <summary>The logistic function <c>1 / (1 + e^-x)</c> elementwise.</summary>
    public Tensor<T> Sigmoid() => SigmoidNode<T>.Forward(this);

    /// <summary><c>max(x, 0)</c> elementwise; its gradient at 0 is taken as 0.</summary>
    public Tensor<T> Relu() => ReluNode<T>.Forward(this);

    /// <summary>
    /// <c>x</c> where <c>x &gt; 0</c>, else <c>0.01 x</c> elementwise (PyTorch's <c>F.leaky_relu</c> with its
    /// default <c>negative_slope = 0.01</c>); its gradient at 0 is the slope, as in PyTorch.
    /// </summary>
    public Tensor<T> LeakyRelu() => LeakyReluNode<T>.Forward(this, T.CreateTruncating(0.01));

    /// <summary>
    /// <c>x</c> where <c>x &gt; 0</c>, else <c>negativeSlope * x</c> elementwise (PyTorch's <c>F.leaky_relu</c>);
    /// its gradient is 1 where <c>x &gt; 0</c> and <paramref name="negativeSlope"/> elsewhere, including at 0.
    /// </summary>
    /// <param name="negativeSlope">The slope for negative inputs; PyTorch's default is 0.01.</param>
    public Tensor<T> LeakyRelu(T negativeSlope) => LeakyReluNode<T>.Forward(this, negativeSlope);

    /// <summary>
    /// The Gaussian error linear unit elementwise (PyTorch's <c>F.gelu</c>). By default the exact form
    /// <c>x * Phi(x)</c>, where <c>Phi(x) = (1 + erf(x / sqrt(2))) / 2</c> is the standard normal distribution
    /// function, evaluated with W. J. Cody's erf approximations to the precision of <typeparamref name="T"/>
    /// (relative error ~1e-16 for double, a few ulp for float);
    /// with <paramref name="tanhApproximation"/> the form <c>x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))</c>
    /// (PyTorch's <c>approximate='tanh'</c>).
    /// </summary>
    /// <param name="tanhApproximation">Use the tanh approximation instead of the exact erf form. Default: false (PyTorch's <c>approximate='none'</c>).</param>
    public Tensor<T> Gelu(bool tanhApproximation = false) => GeluNode<T>.Forward(this, tanhApproximation);

    /// <summary>
    /// The sigmoid linear unit <c>x * sigmoid(x) = x / (1 + e^-x)</c> elementwise (PyTorch's <c>F.silu</c>, also called swish):
    /// smooth, close to ReLU far from 0, with its minimum about -0.278 at <c>x = -1.278</c>. Its gradient is
    /// <c>s (1 + x (1 - s))</c> with <c>s = sigmoid(x)</c>. As in PyTorch, <c>-infinity</c> gives NaN.
    /// </summary>
    public Tensor<T> Silu() => SiluNode<T>.Forward(this);

    /// <summary>
    /// <c>log(1 + e^x)</c> elementwise, and <c>x</c> itself above 20 (PyTorch's <c>F.softplus</c> with its defaults
    /// <c>beta = 1</c>, <c>threshold = 20</c>); see <see cref="Softplus(T, T)"/>.
    /// </summary>
    public Tensor<T> Softplus() => SoftplusNode<T>.Forward(this, T.One, T.CreateTruncating(20));

    /// <summary>
    /// <c>log(1 + e^(beta x)) / beta</c> elementwise, and <c>x</c> itself where <c>beta x &gt; threshold</c>
    /// (PyTorch's <c>F.softplus</c>). Numerically stable: finite for any finite input (no overflow at
    /// <c>x = 1e4</c>) and accurate far below zero (<c>Softplus(-100) = e^-100</c>). Its gradient is
    /// <c>sigmoid(beta x)</c>, and 1 above the threshold.
    /// </summary>
    /// <param name="beta">The sharpness; PyTorch's default is 1.</param>
    /// <param name="threshold">Above <c>beta x &gt; threshold</c> the function is linear; PyTorch's default is 20.</param>
    public Tensor<T> Softplus(T beta, T threshold) => SoftplusNode<T>.Forward(this, beta, threshold);

    /// <summary><c>x^2</c> elementwise (PyTorch's <c>torch.square</c>); its gradient is <c>2x</c>.</summary>
    public Tensor<T> Square() => SquareNode<T>.Forward(this);

    /// <summary>
    /// <c>min(max(x, min), max)</c> elementwise (PyTorch's <c>torch.clamp</c>): NaN stays NaN, and
    /// <paramref name="min"/> above <paramref name="max"/> sets every element to <paramref name="max"/>, as in PyTorch.
    /// The gradient is 1 where <c>min &lt;= x &lt;= max</c> (bounds included, as in PyTorch) and 0 elsewhere.
    /// </summary>
    public Tensor<T> Clamp(T min, T max) => ClampNode<T>.Forward(this, min, max);

    /// <summary><c>max(x, min)</c> elementwise (PyTorch's <c>clamp_min</c>); gradient 1 where <c>x &gt;= min</c>, else 0.</summary>
    public Tensor<T> ClampMin(T min) => ClampNode<T>.Forward(this, min, null);

    /// <summary><c>min(x, max)</c> elementwise (PyTorch's <c>clamp_max</c>); gradient 1 where <c>x &lt;= max</c>, else 0.</summary>
    public Tensor<T> ClampMax(T max) => ClampNode<T>.Forward(this, null, max);

    /// <summary>
    /// The elementwise minimum with broadcasting (PyTorch's <c>torch.minimum</c>; NaN if either is NaN).
    /// The gradient goes to the smaller input; on a tie it is split equally between the two, as in PyTorch.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public Tensor<T> Minimum(Tensor<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ExtremumNode<T>.Forward(this, other, maximum: false);
    }

    /// <summary>
    /// The elementwise maximum with broadcasting (PyTorch's <c>torch.maximum</c>; NaN if either is NaN).
    /// The gradient goes to the larger input; on a tie it is split equally between the two, as in PyTorch.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public Tensor<T> Maximum(Tensor<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ExtremumNode<T>.Forward(this, other, maximum: true);
    }

    /// <summary>
    /// A mask, 1 where <c>this &gt; other</c> and 0 elsewhere (also where either is NaN), with broadcasting
    /// (PyTorch's <c>torch.gt</c>, as numbers). A constant: it records no graph and never requires grad;
    /// use it with <see cref="Tensor.Where{T}"/> or as a weight.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public Tensor<T> GreaterThan(Tensor<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ComparisonMasks<T>.GreaterThan(this, other);
    }

    /// <summary>A mask, 1 where <c>this &gt; value</c> and 0 elsewhere; see <see cref="GreaterThan(Tensor{T})"/>.</summary>
    public Tensor<T> GreaterThan(T value) => ComparisonMasks<T>.GreaterThan(this, value);

    /// <summary>
    /// A mask, 1 where <c>this &lt; other</c> and 0 elsewhere (also where either is NaN), with broadcasting
    /// (PyTorch's <c>torch.lt</c>, as numbers); a constant that records no graph.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public Tensor<T> LessThan(Tensor<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ComparisonMasks<T>.LessThan(this, other);
    }

    /// <summary>A mask, 1 where <c>this &lt; value</c> and 0 elsewhere; see <see cref="LessThan(Tensor{T})"/>.</summary>
    public Tensor<T> LessThan(T value) => ComparisonMasks<T>.LessThan(this, value);

    /// <summary>
    /// The logarithm of the softmax along <paramref name="axis"/> (PyTorch's <c>F.log_softmax</c>):
    /// <c>x - max - log(sum(exp(x - max)))</c> over each row (axis 1 or -1) or each column (axis 0) of a matrix,
    /// or over a vector. Numerically stable: the maximum is subtracted first, so logits around +-1e4 give
    /// the same values as the same differences around 0, all finite. The result has this tensor's shape.
    /// </summary>
    /// <param name="axis">The dimension along which the probabilities sum to 1. Default: -1 (the last).</param>
    /// <exception cref="ArgumentOutOfRangeException">The tensor is a scalar or the axis does not exist.</exception>
    public Tensor<T> LogSoftmax(int axis = -1) => LogSoftmaxNode<T>.Forward(this, axis);

    /// <summary>
    /// The softmax along <paramref name="axis"/> (PyTorch's <c>F.softmax</c>): <c>exp(x - max) / sum(exp(x - max))</c>
    /// over each row (axis 1 or -1) or each column (axis 0) of a matrix, or over a vector; stable for any finite
    /// logits. The result has this tensor's shape. For a loss, prefer <see cref="LogSoftmax"/>, which stays exact
    /// where probabilities underflow.
    /// </summary>
    /// <param name="axis">The dimension along which the result sums to 1. Default: -1 (the last).</param>
    /// <exception cref="ArgumentOutOfRangeException">The tensor is a scalar or the axis does not exist.</exception>
    public Tensor<T> Softmax(int axis = -1) => SoftmaxNode<T>.Forward(this, axis);

    /// <summary>
    /// <c>log(sum(exp(x)))</c> along <paramref name="axis"/> (PyTorch's <c>torch.logsumexp</c>), computed as
    /// <c>max + log(sum(exp(x - max)))</c> so that it neither overflows nor underflows (an infinite maximum is
    /// handled as in PyTorch: all -inf gives -inf). Its gradient is the softmax along the axis.
    /// </summary>
    /// <param name="axis">The dimension to reduce: 0 for each column of a matrix, 1 or -1 for each row.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1, so the result broadcasts against this tensor. Default: false.</param>
    /// <exception cref="ArgumentOutOfRangeException">The tensor is a scalar or the axis does not exist.</exception>
    public Tensor<T> LogSumExp(int axis, bool keepDim = false) => LogSumExpNode<T>.Forward(this, axis, keepDim);

    /// <summary>
    /// The matrix product: <c>[n, d] @ [d, k] -> [n, k]</c>, <c>[n, d] @ [d] -> [n]</c>,
    /// <c>[d] @ [d, k] -> [k]</c>, <c>[d] @ [d] -> []</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The inner dimensions differ, or an operand is a scalar.</exception>
    public Tensor<T> MatMul(Tensor<T> other) => MatMulNode<T>.Forward(this, other);

    /// <summary>The transpose of a matrix (a copy); a tensor of rank 0 or 1 is returned as a view of itself, as PyTorch's <c>t()</c> does.</summary>
    public Tensor<T> Transpose() => TransposeNode<T>.Forward(this);

    /// <summary>The same elements viewed under another shape with the same number of elements; shares memory.</summary>
    /// <exception cref="ArgumentException">The element counts differ or the rank is above 2.</exception>
    public Tensor<T> Reshape(params ReadOnlySpan<int> shape) => ReshapeNode<T>.Forward(this, shape);

    /// <summary>The sum of all elements, as a scalar tensor.</summary>
    public Tensor<T> Sum() => ReduceNode<T>.ForwardAll(this, mean: false);

    /// <summary>The sum along <paramref name="axis"/> (negative counts from the end).</summary>
    /// <param name="axis">The dimension to reduce: 0 sums the rows of a matrix (one value per column), 1 or -1 sums each row.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1, so the result broadcasts against this tensor. Default: false.</param>
    /// <exception cref="ArgumentOutOfRangeException">The axis does not exist.</exception>
    public Tensor<T> Sum(int axis, bool keepDim = false) => ReduceNode<T>.ForwardAxis(this, axis, keepDim, mean: false);

    /// <summary>The mean of all elements, as a scalar tensor (NaN for an empty tensor).</summary>
    public Tensor<T> Mean() => ReduceNode<T>.ForwardAll(this, mean: true);

    /// <summary>The mean along <paramref name="axis"/>; see <see cref="Sum(int, bool)"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The axis does not exist.</exception>
    public Tensor<T> Mean(int axis, bool keepDim = false) => ReduceNode<T>.ForwardAxis(this, axis, keepDim, mean: true);

    /// <summary>
    /// <c>this -= alpha * other</c> in place (the gradient-descent step <c>w.data -= lr * w.grad</c>);
    /// <paramref name="other"/> must broadcast to this tensor's shape.
    /// </summary>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on: update it inside <see cref="Autograd.NoGrad"/>.</exception>
    /// <exception cref="ArgumentException">The shapes do not broadcast to this tensor's shape.</exception>
    public void SubtractInPlace(Tensor<T> other, T alpha) => AddInPlace(other, -alpha, "SubtractInPlace");

    /// <summary><c>this += alpha * other</c> in place; see <see cref="SubtractInPlace"/>.</summary>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    /// <exception cref="ArgumentException">The shapes do not broadcast to this tensor's shape.</exception>
    public void AddInPlace(Tensor<T> other, T alpha) => AddInPlace(other, alpha, "AddInPlace");

    /// <summary><c>this *= factor</c> in place.</summary>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    public void MultiplyInPlace(T factor)
    {
        EnsureInPlaceAllowed("MultiplyInPlace");
        TensorPrimitives.Multiply(Data, factor, Data);
        MarkModified();
    }

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    public void Fill(T value)
    {
        EnsureInPlaceAllowed("Fill");
        Data.Fill(value);
        MarkModified();
    }

    /// <summary>Copies <paramref name="values"/> (row-major, exactly <see cref="Length"/> of them) into this tensor.</summary>
    /// <exception cref="ArgumentException">The number of values differs from <see cref="Length"/>.</exception>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    public void CopyFrom(ReadOnlySpan<T> values)
    {
        if (values.Length != Length)
        {
            throw new ArgumentException($"CopyFrom got {values.Length} values for {Describe()}, which holds {Length}.", nameof(values));
        }

        EnsureInPlaceAllowed("CopyFrom");
        values.CopyTo(Data);
        MarkModified();
    }

    private void AddInPlace(Tensor<T> other, T alpha, string operation)
    {
        EnsureInPlaceAllowed(operation);
        if (!Shapes.Broadcast(_shape, other._shape, operation).AsSpan().SequenceEqual(_shape))
        {
            throw new ArgumentException(
                $"{operation}: a tensor of shape {Shapes.Format(other.Shape)} cannot be broadcast to {Describe()}.", nameof(other));
        }

        Span<T> data = Data;
        if (other.Length == Length)
        {
            TensorPrimitives.MultiplyAdd(other.Data, alpha, data, data);
        }
        else
        {
            // Scale a pooled copy of the small operand, then add it with broadcasting.
            T[] scratch = System.Buffers.ArrayPool<T>.Shared.Rent(other.Length);
            Span<T> scaled = scratch.AsSpan(0, other.Length);
            TensorPrimitives.Multiply(other.Data, alpha, scaled);
            Broadcasting<T>.Apply<AddKernel<T>>(data, Dims, scaled, other.Dims, data, Dims);
            System.Buffers.ArrayPool<T>.Shared.Return(scratch);
        }

        MarkModified();
    }

    /// <summary><c>a + b</c> with broadcasting.</summary>
    public static Tensor<T> operator +(Tensor<T> a, Tensor<T> b) => a.Add(b);

    /// <summary><c>a + scalar</c>.</summary>
    public static Tensor<T> operator +(Tensor<T> a, T b) => a.Add(Tensor.Scalar(b));

    /// <summary><c>scalar + b</c>.</summary>
    public static Tensor<T> operator +(T a, Tensor<T> b) => Tensor.Scalar(a).Add(b);

    /// <summary><c>a - b</c> with broadcasting.</summary>
    public static Tensor<T> operator -(Tensor<T> a, Tensor<T> b) => a.Subtract(b);

    /// <summary><c>a - scalar</c>.</summary>
    public static Tensor<T> operator -(Tensor<T> a, T b) => a.Subtract(Tensor.Scalar(b));

    /// <summary><c>scalar - b</c>.</summary>
    public static Tensor<T> operator -(T a, Tensor<T> b) => Tensor.Scalar(a).Subtract(b);

    /// <summary><c>a * b</c> elementwise with broadcasting (use <see cref="MatMul"/> for the matrix product).</summary>
    public static Tensor<T> operator *(Tensor<T> a, Tensor<T> b) => a.Multiply(b);

    /// <summary><c>a * scalar</c>.</summary>
    public static Tensor<T> operator *(Tensor<T> a, T b) => a.Multiply(Tensor.Scalar(b));

    /// <summary><c>scalar * b</c>.</summary>
    public static Tensor<T> operator *(T a, Tensor<T> b) => Tensor.Scalar(a).Multiply(b);

    /// <summary><c>a / b</c> elementwise with broadcasting.</summary>
    public static Tensor<T> operator /(Tensor<T> a, Tensor<T> b) => a.Divide(b);

    /// <summary><c>a / scalar</c>.</summary>
    public static Tensor<T> operator /(Tensor<T> a, T b) => a.Divide(Tensor.Scalar(b));

    /// <summary><c>scalar / b</c>.</summary>
    public static Tensor<T> operator /(T a, Tensor<T> b) => Tensor.Scalar(a).Divide(b);

    /// <summary><c>-a</c>.</summary>
    public static Tensor<T> operator -(Tensor<T> a) => a.Negate();
}
