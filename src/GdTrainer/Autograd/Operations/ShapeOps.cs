using System.Numerics;

namespace GdTrainer.Autograd;

/// <summary>Swaps the two dimensions of a matrix (a copy); the backward transposes the gradient back.</summary>
internal sealed class TransposeNode<T>(Tensor<T> input) : Node<T>(input)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "Transpose";

    internal static Tensor<T> Forward(Tensor<T> x)
    {
        if (x.Rank < 2)
        {
            return ReshapeNode<T>.Forward(x, x.ShapeArray); // As PyTorch's t(): rank 0 and 1 are their own transpose.
        }

        Dims2 dims = x.Dims;
        var data = TensorMemory<T>.Allocate(x.Length);
        Transpose(x.Data, dims, data);
        return new Tensor<T>(data, [dims.Columns, dims.Rows], ShouldRecord(x) ? new TransposeNode<T>(x) : null);
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        Dims2 inputDims = FirstInput!.Dims;
        T[] scratch = RentScratch(inputDims.Length);
        Span<T> transposed = scratch.AsSpan(0, inputDims.Length);
        Transpose(outputGradient, OutputDims, transposed);
        Accumulate(FirstInput, transposed, inputDims);
        ReturnScratch(scratch);
    }

    private static void Transpose(ReadOnlySpan<T> source, Dims2 sourceDims, Span<T> destination)
    {
        for (int row = 0; row < sourceDims.Rows; row++)
        {
            for (int column = 0; column < sourceDims.Columns; column++)
            {
                destination[(column * sourceDims.Rows) + row] = source[(row * sourceDims.Columns) + column];
            }
        }
    }
}

/// <summary>
/// The same elements under another shape, sharing memory (a view, like PyTorch's <c>view</c>);
/// the backward passes the gradient through unchanged.
/// </summary>
internal sealed class ReshapeNode<T>(Tensor<T> input) : Node<T>(input)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "Reshape";

    internal static Tensor<T> Forward(Tensor<T> x, ReadOnlySpan<int> shape)
    {
        int[] validated = Shapes.Validate(shape, out int length);
        if (length != x.Length)
        {
            throw new ArgumentException(
                $"Reshape: {x.Describe()} has {x.Length} elements, which cannot be viewed as shape {Shapes.Format(shape)} ({length} elements).",
                nameof(shape));
        }

        return x.CreateView(validated, ShouldRecord(x) ? new ReshapeNode<T>(x) : null);
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient) =>
        Accumulate(FirstInput, outputGradient, FirstInput!.Dims); // Same elements in the same order: no reduction.
}
