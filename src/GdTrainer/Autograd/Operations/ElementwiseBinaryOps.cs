using System.Numerics;

namespace GdTrainer.Autograd;

/// <summary><c>a + b</c> with broadcasting; both inputs receive the output gradient.</summary>
internal sealed class AddNode<T>(Tensor<T> a, Tensor<T> b) : Node<T>(a, b)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "Add";

    internal static Tensor<T> Forward(Tensor<T> a, Tensor<T> b) =>
        BinaryForward<AddKernel<T>>(a, b, "Add", ShouldRecord(a, b) ? new AddNode<T>(a, b) : null);

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        Accumulate(FirstInput, outputGradient, OutputDims);
        Accumulate(SecondInput, outputGradient, OutputDims);
    }

    /// <summary>The forward shared by the four arithmetic operations: broadcast, apply, wrap.</summary>
    internal static Tensor<T> BinaryForward<TKernel>(Tensor<T> a, Tensor<T> b, string name, Node<T>? node)
        where TKernel : IBinaryKernel<T>
    {
        int[] shape = Shapes.Broadcast(a.ShapeArray, b.ShapeArray, name);
        Dims2 dims = Dims2.Of(shape);
        var data = TensorMemory<T>.Allocate(dims.Length);
        Broadcasting<T>.Apply<TKernel>(a.Data, a.Dims, b.Data, b.Dims, data, dims);
        return new Tensor<T>(data, shape, node);
    }
}

/// <summary><c>a - b</c> with broadcasting; <c>b</c> receives the negated output gradient.</summary>
internal sealed class SubtractNode<T>(Tensor<T> a, Tensor<T> b) : Node<T>(a, b)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "Subtract";

    internal static Tensor<T> Forward(Tensor<T> a, Tensor<T> b) =>
        AddNode<T>.BinaryForward<SubtractKernel<T>>(a, b, "Subtract", ShouldRecord(a, b) ? new SubtractNode<T>(a, b) : null);

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        Accumulate(FirstInput, outputGradient, OutputDims);
        if (SecondInput is { RequiresGrad: true } b)
        {
            T[] scratch = RentScratch(OutputLength);
            Span<T> negated = scratch.AsSpan(0, OutputLength);
            System.Numerics.Tensors.TensorPrimitives.Negate(outputGradient, negated);
            Accumulate(b, negated, OutputDims);
            ReturnScratch(scratch);
        }
    }
}

/// <summary><c>a * b</c> with broadcasting; the product rule: <c>da = g * b</c>, <c>db = g * a</c>.</summary>
internal sealed class MultiplyNode<T>(Tensor<T> a, Tensor<T> b) : Node<T>(a, b)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "Multiply";

    internal static Tensor<T> Forward(Tensor<T> a, Tensor<T> b) =>
        AddNode<T>.BinaryForward<MultiplyKernel<T>>(a, b, "Multiply", ShouldRecord(a, b) ? new MultiplyNode<T>(a, b) : null);

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        if (FirstInput!.RequiresGrad)
        {
            AccumulateCombined<MultiplyKernel<T>>(FirstInput, outputGradient, SavedSecond);
        }

        if (SecondInput!.RequiresGrad)
        {
            AccumulateCombined<MultiplyKernel<T>>(SecondInput, outputGradient, SavedFirst);
        }
    }
}

/// <summary><c>a / b</c> with broadcasting: <c>da = g / b</c>, <c>db = -(g / b) * (a / b) = -(g / b) * out</c>.</summary>
internal sealed class DivideNode<T>(Tensor<T> a, Tensor<T> b) : Node<T>(a, b)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "Divide";

    internal static Tensor<T> Forward(Tensor<T> a, Tensor<T> b) =>
        AddNode<T>.BinaryForward<DivideKernel<T>>(a, b, "Divide", ShouldRecord(a, b) ? new DivideNode<T>(a, b) : null);

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        T[] scratch = RentScratch(OutputLength);
        Span<T> quotient = scratch.AsSpan(0, OutputLength);
        Broadcasting<T>.Apply<DivideKernel<T>>(outputGradient, OutputDims, SavedSecond.Data, SecondInput!.Dims, quotient, OutputDims);
        Accumulate(FirstInput, quotient, OutputDims);
        if (SecondInput.RequiresGrad)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(quotient, SavedOutput.Data, quotient);
            System.Numerics.Tensors.TensorPrimitives.Negate(quotient, quotient);
            Accumulate(SecondInput, quotient, OutputDims);
        }

        ReturnScratch(scratch);
    }
}
