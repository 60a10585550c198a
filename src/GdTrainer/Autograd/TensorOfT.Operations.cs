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
