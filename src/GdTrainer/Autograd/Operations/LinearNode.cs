using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace GdTrainer.Autograd;

/// <summary>
/// <c>input @ weight + bias</c> as one operation (PyTorch's <c>F.linear</c>, with the weight laid out
/// as <c>[in, out]</c> or <c>[in]</c>), optionally followed by ReLU (<c>relu(F.linear(...))</c>): one
/// output buffer and one graph node instead of two or three. Backward: with ReLU, the output gradient
/// is first zeroed where the output is not positive; then the matrix product's backward, plus the
/// gradient summed back to the bias's shape.
/// </summary>
/// <remarks>
/// For float with a <c>[k]</c> bias and k &gt; 1 the bias and the ReLU are applied in the matrix
/// kernel's store (<see cref="MatrixKernels.Multiply"/>) instead of separate passes over the output, and
/// the bias gradient is one column-sum kernel (<see cref="MatrixVectorKernels{T}.MultiplyTransposedAdd"/>
/// with weights 1) instead of a span call per row.
/// </remarks>
internal sealed class LinearNode<T>(Tensor<T> input, Tensor<T> weight, Tensor<T> bias, bool relu) : Node<T>(input, weight, bias)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => relu ? "LinearRelu" : "Linear";

    internal static Tensor<T> Forward(Tensor<T> input, Tensor<T> weight, Tensor<T> bias, bool relu = false)
    {
        string operation = relu ? "LinearRelu" : "Linear";
        (int n, int d, int k, int[] shape) = MatMulNode<T>.ProductShape(input, weight, operation);
        if (!Shapes.Broadcast(shape, bias.ShapeArray, operation).AsSpan().SequenceEqual(shape))
        {
            throw new ArgumentException(
                $"{operation}: the bias of shape {Shapes.Format(bias.Shape)} does not broadcast to the output shape {Shapes.Format(shape)}; use [{k}], [1] or a scalar.",
                nameof(bias));
        }

        T[] data = TensorMemory<T>.Allocate(n * k);
        if (typeof(T) == typeof(float) && k > 1 && bias.Dims == new Dims2(1, k))
        {
            MatrixKernels.Multiply(
                MemoryMarshal.Cast<T, float>(input.Data), MemoryMarshal.Cast<T, float>(weight.Data), MemoryMarshal.Cast<T, float>(data.AsSpan()),
                n, d, k, MemoryMarshal.Cast<T, float>(bias.Data), relu);
        }
        else
        {
            MatMulNode<T>.Multiply(input.Data, weight.Data, data, n, d, k);
            Dims2 dims = Dims2.Of(shape);
            Broadcasting<T>.Apply<AddKernel<T>>(data, dims, bias.Data, bias.Dims, data, dims);
            if (relu)
            {
                TensorPrimitives.Max(data, T.Zero, data);
            }
        }

        return new Tensor<T>(data, shape, ShouldRecord(input, weight, bias) ? new LinearNode<T>(input, weight, bias, relu) : null);
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        if (!relu)
        {
            MatMulNode<T>.BackwardProduct(FirstInput!, SecondInput!, this, outputGradient);
            AccumulateBias(ThirdInput!, outputGradient, OutputDims);
            return;
        }

        T[] scratch = RentScratch(OutputLength);
        Span<T> masked = scratch.AsSpan(0, OutputLength);
        MaskWherePositive(outputGradient, SavedOutput.Data, masked);
        MatMulNode<T>.BackwardProduct(FirstInput!, SecondInput!, this, masked);
        AccumulateBias(ThirdInput!, masked, OutputDims);
        ReturnScratch(scratch);
    }

    /// <summary>
    /// Adds the output gradient, summed back to the bias's shape, into the bias's gradient: a column sum
    /// for a <c>[k]</c> bias under an <c>[n, k]</c> output, the general reduction otherwise.
    /// </summary>
    internal static void AccumulateBias(Tensor<T> bias, ReadOnlySpan<T> outputGradient, Dims2 outputDims)
    {
        if (!bias.RequiresGrad)
        {
            return;
        }

        (int n, int k) = (outputDims.Rows, outputDims.Columns);
        if (n > 1 && k > 1 && bias.Dims == new Dims2(1, k))
        {
            T[] ones = RentScratch(n);
            ones.AsSpan(0, n).Fill(T.One);
            MatrixVectorKernels<T>.MultiplyTransposedAdd(outputGradient, ones, bias.GradientTarget(), n, k);
            ReturnScratch(ones);
            return;
        }

        Accumulate(bias, outputGradient, outputDims);
    }

    /// <summary>
    /// <c>destination[i] = output[i] &gt; 0 ? gradient[i] : 0</c>: ReLU's backward read from its output
    /// (positive exactly where the input was), with the derivative 0 at 0 and for NaN, as <see cref="ReluNode{T}"/>.
    /// </summary>
    private static void MaskWherePositive(ReadOnlySpan<T> gradient, ReadOnlySpan<T> output, Span<T> destination)
    {
        int width = Vector<T>.Count;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + width <= destination.Length; i += width)
            {
                Vector<T> positive = Vector.GreaterThan(new Vector<T>(output.Slice(i)), Vector<T>.Zero);
                Vector.ConditionalSelect(positive, new Vector<T>(gradient.Slice(i)), Vector<T>.Zero).CopyTo(destination.Slice(i));
            }
        }

        for (; i < destination.Length; i++)
        {
            destination[i] = output[i] > T.Zero ? gradient[i] : T.Zero;
        }
    }
}
