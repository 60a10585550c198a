using System.Numerics;
using System.Numerics.Tensors;

namespace GdTrainer.Autograd;

/// <summary>
/// Sum or mean over all elements or along one axis. The backward spreads the output gradient
/// (scaled by <c>1/count</c> for a mean) back over the reduced elements; the central
/// <see cref="Broadcasting{T}.AccumulateTo"/> does the spreading, given the output gradient laid out
/// with the reduced dimension kept as size 1.
/// </summary>
internal sealed class ReduceNode<T> : Node<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly bool _mean;
    private readonly Dims2 _keptDims;
    private readonly int _count;

    private ReduceNode(Tensor<T> input, bool mean, Dims2 keptDims, int count)
        : base(input)
    {
        _mean = mean;
        _keptDims = keptDims;
        _count = count;
    }

    internal override string Name => _mean ? "Mean" : "Sum";

    internal static Tensor<T> ForwardAll(Tensor<T> x, bool mean)
    {
        T total = TensorPrimitives.Sum<T>(x.Data);
        if (mean)
        {
            total /= T.CreateTruncating(x.Length); // NaN for an empty tensor, as in PyTorch.
        }

        return new Tensor<T>(TensorMemory<T>.Scalar(total), Shapes.Scalar, ShouldRecord(x) ? new ReduceNode<T>(x, mean, new Dims2(1, 1), x.Length) : null);
    }

    internal static Tensor<T> ForwardAxis(Tensor<T> x, int axis, bool keepDim, bool mean)
    {
        string name = mean ? "Mean" : "Sum";
        if (x.Rank == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"{name}(axis) needs a tensor of rank 1 or 2, but {x.Describe()} is a scalar; use {name}().");
        }

        int resolved = axis < 0 ? axis + x.Rank : axis;
        if (resolved < 0 || resolved >= x.Rank)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"{name}: axis {axis} is out of range for {x.Describe()}; use 0..{x.Rank - 1} (or -1 for the last).");
        }

        Dims2 dims = x.Dims;
        bool acrossRows = x.Rank == 2 && resolved == 0;
        var kept = acrossRows ? new Dims2(1, dims.Columns) : new Dims2(dims.Rows, 1);
        int count = acrossRows ? dims.Rows : dims.Columns;
        T[] data = TensorMemory<T>.Allocate(kept.Length);
        data.AsSpan().Clear();
        ReadOnlySpan<T> source = x.Data;
        if (acrossRows)
        {
            for (int row = 0; row < dims.Rows; row++)
            {
                TensorPrimitives.Add(data, source.Slice(row * dims.Columns, dims.Columns), data);
            }
        }
        else
        {
            for (int row = 0; row < dims.Rows; row++)
            {
                data[row] = TensorPrimitives.Sum(source.Slice(row * dims.Columns, dims.Columns));
            }
        }

        if (mean)
        {
            TensorPrimitives.Divide(data, T.CreateTruncating(count), data);
        }

        int[] shape = (x.Rank, keepDim) switch
        {
            (1, false) => Shapes.Scalar,
            (1, true) => [1],
            (_, false) => [acrossRows ? dims.Columns : dims.Rows],
            _ => acrossRows ? [1, dims.Columns] : [dims.Rows, 1],
        };
        return new Tensor<T>(data, shape, ShouldRecord(x) ? new ReduceNode<T>(x, mean, kept, count) : null);
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        if (!_mean)
        {
            Accumulate(FirstInput, outputGradient, _keptDims);
            return;
        }

        T[] scratch = RentScratch(outputGradient.Length);
        Span<T> scaled = scratch.AsSpan(0, outputGradient.Length);
        TensorPrimitives.Divide(outputGradient, T.CreateTruncating(_count), scaled);
        Accumulate(FirstInput, scaled, _keptDims);
        ReturnScratch(scratch);
    }
}
