using System.Numerics;

namespace GdTrainer.Autograd;

/// <summary>
/// <c>input @ weight + bias</c> as one operation (PyTorch's <c>F.linear</c>, with the weight laid out
/// as <c>[in, out]</c> or <c>[in]</c>): one output buffer and one graph node instead of two. Backward:
/// the matrix product's, plus the output gradient summed back to the bias's shape.
/// </summary>
internal sealed class LinearNode<T>(Tensor<T> input, Tensor<T> weight, Tensor<T> bias) : Node<T>(input, weight, bias)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "Linear";

    internal static Tensor<T> Forward(Tensor<T> input, Tensor<T> weight, Tensor<T> bias)
    {
        (int n, int d, int k, int[] shape) = MatMulNode<T>.ProductShape(input, weight, "Linear");
        if (!Shapes.Broadcast(shape, bias.ShapeArray, "Linear").AsSpan().SequenceEqual(shape))
        {
            throw new ArgumentException(
                $"Linear: the bias of shape {Shapes.Format(bias.Shape)} does not broadcast to the output shape {Shapes.Format(shape)}; use [{k}], [1] or a scalar.",
                nameof(bias));
        }

        T[] data = TensorMemory<T>.Allocate(n * k);
        MatMulNode<T>.Multiply(input.Data, weight.Data, data, n, d, k);
        Dims2 dims = Dims2.Of(shape);
        Broadcasting<T>.Apply<AddKernel<T>>(data, dims, bias.Data, bias.Dims, data, dims);
        return new Tensor<T>(data, shape, ShouldRecord(input, weight, bias) ? new LinearNode<T>(input, weight, bias) : null);
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        MatMulNode<T>.BackwardProduct(FirstInput!, SecondInput!, this, outputGradient);
        Accumulate(ThirdInput, outputGradient, OutputDims);
    }
}
