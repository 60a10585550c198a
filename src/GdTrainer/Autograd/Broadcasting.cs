using System.Numerics;
using System.Numerics.Tensors;

namespace GdTrainer.Autograd;

/// <summary>
/// The two loops that give broadcasting its meaning: the forward loop that applies a kernel to
/// operands of different shapes, and <see cref="AccumulateTo"/>, the one place where a gradient is
/// brought back to the shape of the tensor it belongs to.
/// </summary>
internal static class Broadcasting<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// <c>destination = kernel(x, y)</c> where <paramref name="x"/> and <paramref name="y"/> broadcast
    /// to <paramref name="destinationDims"/>. The destination may be <paramref name="x"/> itself (in-place updates).
    /// </summary>
    internal static void Apply<TKernel>(
        ReadOnlySpan<T> x, Dims2 xDims, ReadOnlySpan<T> y, Dims2 yDims, Span<T> destination, Dims2 destinationDims)
        where TKernel : IBinaryKernel<T>
    {
        if (xDims == yDims)
        {
            TKernel.Apply(x, y, destination);
            return;
        }

        if (y.Length == 1)
        {
            if (xDims == destinationDims)
            {
                TKernel.Apply(x, y[0], destination);
                return;
            }
        }
        else if (x.Length == 1 && yDims == destinationDims)
        {
            TKernel.Apply(x[0], y, destination);
            return;
        }

        int columns = destinationDims.Columns;
        for (int row = 0; row < destinationDims.Rows; row++)
        {
            ReadOnlySpan<T> xRow = x.Slice(xDims.Rows == 1 ? 0 : row * xDims.Columns, xDims.Columns);
            ReadOnlySpan<T> yRow = y.Slice(yDims.Rows == 1 ? 0 : row * yDims.Columns, yDims.Columns);
            Span<T> destinationRow = destination.Slice(row * columns, columns);
            if (xDims.Columns == yDims.Columns)
            {
                TKernel.Apply(xRow, yRow, destinationRow);
            }
            else if (xDims.Columns == 1)
            {
                TKernel.Apply(xRow[0], yRow, destinationRow);
            }
            else
            {
                TKernel.Apply(xRow, yRow[0], destinationRow);
            }
        }
    }

    /// <summary>
    /// <c>target += gradient</c>, where the gradient was computed for a broadcast shape: dimensions in
    /// which the target is 1 and the gradient is not are summed (undoing a forward broadcast), and
    /// dimensions in which the gradient is 1 and the target is not are repeated (the backward of a
    /// reduction). Every operation's backward goes through here, so broadcasting is undone in one place.
    /// </summary>
    internal static void AccumulateTo(Span<T> target, Dims2 targetDims, ReadOnlySpan<T> gradient, Dims2 gradientDims)
    {
        if (targetDims == gradientDims)
        {
            TensorPrimitives.Add(target, gradient, target);
            return;
        }

        if (targetDims.Length == 1)
        {
            target[0] += TensorPrimitives.Sum(gradient);
            return;
        }

        int rows = Math.Max(targetDims.Rows, gradientDims.Rows);
        for (int row = 0; row < rows; row++)
        {
            Span<T> targetRow = target.Slice(targetDims.Rows == 1 ? 0 : row * targetDims.Columns, targetDims.Columns);
            ReadOnlySpan<T> gradientRow = gradient.Slice(gradientDims.Rows == 1 ? 0 : row * gradientDims.Columns, gradientDims.Columns);
            if (targetDims.Columns == gradientDims.Columns)
            {
                TensorPrimitives.Add(targetRow, gradientRow, targetRow);
            }
            else if (targetDims.Columns == 1)
            {
                targetRow[0] += TensorPrimitives.Sum(gradientRow);
            }
            else
            {
                TensorPrimitives.Add(targetRow, gradientRow[0], targetRow);
            }
        }
    }
}
