using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace GdTrainer.Autograd;

/// <summary>
/// Matrix product <c>a @ b</c> for <c>[n, d] @ [d, k] -> [n, k]</c>, <c>[n, d] @ [d] -> [n]</c>,
/// <c>[d] @ [d, k] -> [k]</c> and <c>[d] @ [d] -> []</c>. A vector on the left is a 1xd row and a
/// vector on the right a dx1 column, as in NumPy. Backward: <c>da = g @ b^T</c>, <c>db = a^T @ g</c>.
/// </summary>
internal sealed class MatMulNode<T>(Tensor<T> a, Tensor<T> b) : Node<T>(a, b)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "MatMul";

    internal static Tensor<T> Forward(Tensor<T> a, Tensor<T> b)
    {
        (int n, int d, int k, int[] shape) = ProductShape(a, b, "MatMul");
        T[] data = TensorMemory<T>.Allocate(n * k);
        Multiply(a.Data, b.Data, data, n, d, k);
        return new Tensor<T>(data, shape, ShouldRecord(a, b) ? new MatMulNode<T>(a, b) : null);
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient) =>
        BackwardProduct(FirstInput!, SecondInput!, this, outputGradient);

    /// <summary>Checks the operands of a matrix product and returns its sizes and its shape.</summary>
    internal static (int N, int D, int K, int[] Shape) ProductShape(Tensor<T> a, Tensor<T> b, string operation)
    {
        if (a.Rank == 0 || b.Rank == 0)
        {
            throw new ArgumentException(
                $"{operation} needs tensors of rank 1 or 2, but got shapes {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)}; multiply by a scalar with '*'.");
        }

        (int n, int d) = (a.Dims.Rows, a.Dims.Columns);
        (int inner, int k) = b.Rank == 1 ? (b.Length, 1) : (b.Dims.Rows, b.Dims.Columns);
        if (d != inner)
        {
            throw new ArgumentException(
                $"{operation}: shapes {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)} do not match: the left has {d} columns but the right has {inner} rows.");
        }

        int[] shape = (a.Rank, b.Rank) switch
        {
            (1, 1) => Shapes.Scalar,
            (1, _) => [k],
            (_, 1) => [n],
            _ => [n, k],
        };
        return (n, d, k, shape);
    }

    /// <summary>
    /// <c>destination = a @ b</c> for row-major <c>a</c> (n x d) and <c>b</c> (d x k): the matrix-vector
    /// kernel for k = 1, the register-blocked float kernels (<see cref="MatrixKernels"/>) for k &gt; 1,
    /// a span call per row otherwise (double, used by gradcheck).
    /// </summary>
    internal static void Multiply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination, int n, int d, int k)
    {
        if (k == 1)
        {
            MatrixVectorKernels<T>.Multiply(a, b, destination, n, d);
            return;
        }

        if (typeof(T) == typeof(float))
        {
            MatrixKernels.Multiply(AsFloat(a), AsFloat(b), AsFloat(destination), n, d, k);
            return;
        }

        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<T> aRow = a.Slice(i * d, d);
            Span<T> outRow = destination.Slice(i * k, k);
            outRow.Clear(); // The destination is not zeroed when allocated.
            for (int j = 0; j < d; j++)
            {
                TensorPrimitives.MultiplyAdd(b.Slice(j * k, k), aRow[j], outRow, outRow);
            }
        }
    }

    /// <summary>
    /// The backward of <c>a @ b</c> (shared with <see cref="LinearNode{T}"/>): accumulates
    /// <c>g @ b^T</c> into <paramref name="a"/>'s gradient and <c>a^T @ g</c> into <paramref name="b"/>'s,
    /// each only when that operand requires grad.
    /// </summary>
    internal static void BackwardProduct(Tensor<T> a, Tensor<T> b, Node<T> node, ReadOnlySpan<T> outputGradient)
    {
        (int n, int d) = (a.Dims.Rows, a.Dims.Columns);
        int k = b.Rank == 1 ? 1 : b.Dims.Columns;
        if (a.RequiresGrad)
        {
            AddInputGradient(outputGradient, node.CheckedValues(b).Data, a.GradientTarget(), n, d, k);
        }

        if (b.RequiresGrad)
        {
            AddWeightGradient(node.CheckedValues(a).Data, outputGradient, b.GradientTarget(), n, d, k);
        }
    }

    /// <summary>
    /// <c>da += g @ b^T</c> for the output gradient <paramref name="g"/> (n x k) and <paramref name="b"/> (d x k):
    /// the float kernel for any k (for k = 1 an outer product), a dot product per element otherwise.
    /// </summary>
    internal static void AddInputGradient(ReadOnlySpan<T> g, ReadOnlySpan<T> b, Span<T> da, int n, int d, int k)
    {
        if (typeof(T) == typeof(float))
        {
            MatrixKernels.MultiplyByTransposed(AsFloat(g), AsFloat(b), AsFloat(da), n, k, d, accumulate: true);
            return;
        }

        // da[i, j] += sum_c g[i, c] * b[j, c]
        for (int i = 0; i < n; i++)
        {
            Span<T> daRow = da.Slice(i * d, d);
            if (k == 1)
            {
                TensorPrimitives.MultiplyAdd(b.Slice(0, d), g[i], daRow, daRow);
                continue;
            }

            ReadOnlySpan<T> gRow = g.Slice(i * k, k);
            for (int j = 0; j < d; j++)
            {
                daRow[j] += TensorPrimitives.Dot(gRow, b.Slice(j * k, k));
            }
        }
    }

    /// <summary>
    /// <c>db += a^T @ g</c> for <paramref name="a"/> (n x d) and the output gradient <paramref name="g"/> (n x k):
    /// the matrix-vector kernel for k = 1, the float kernel for k &gt; 1, a span call per row and column otherwise.
    /// </summary>
    internal static void AddWeightGradient(ReadOnlySpan<T> a, ReadOnlySpan<T> g, Span<T> db, int n, int d, int k)
    {
        if (k == 1)
        {
            MatrixVectorKernels<T>.MultiplyTransposedAdd(a, g, db, n, d);
            return;
        }

        if (typeof(T) == typeof(float))
        {
            MatrixKernels.MultiplyTransposedAdd(AsFloat(a), AsFloat(g), AsFloat(db), n, d, k);
            return;
        }

        // db[j, c] += sum_i a[i, j] * g[i, c]
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<T> aRow = a.Slice(i * d, d);
            ReadOnlySpan<T> gRow = g.Slice(i * k, k);
            for (int j = 0; j < d; j++)
            {
                Span<T> dbRow = db.Slice(j * k, k);
                TensorPrimitives.MultiplyAdd(gRow, aRow[j], dbRow, dbRow);
            }
        }
    }

    private static ReadOnlySpan<float> AsFloat(ReadOnlySpan<T> values) => MemoryMarshal.Cast<T, float>(values);

    private static Span<float> AsFloat(Span<T> values) => MemoryMarshal.Cast<T, float>(values);
}
