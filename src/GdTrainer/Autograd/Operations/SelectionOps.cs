using System.Numerics;
using System.Numerics.Tensors;

namespace GdTrainer.Autograd;

/// <summary>
/// <c>maximum(a, b)</c> or <c>minimum(a, b)</c> elementwise with broadcasting (PyTorch's <c>torch.maximum</c>,
/// <c>torch.minimum</c>; NaN propagates). The backward follows PyTorch's: the input that wins receives the
/// gradient, the other 0; on a tie each receives half; where either is NaN both receive it all.
/// </summary>
internal sealed class ExtremumNode<T>(Tensor<T> a, Tensor<T> b, bool maximum) : Node<T>(a, b)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => maximum ? "Maximum" : "Minimum";

    internal static Tensor<T> Forward(Tensor<T> a, Tensor<T> b, bool maximum)
    {
        Node<T>? node = ShouldRecord(a, b) ? new ExtremumNode<T>(a, b, maximum) : null;
        return maximum
            ? AddNode<T>.BinaryForward<MaximumKernel<T>>(a, b, "Maximum", node)
            : AddNode<T>.BinaryForward<MinimumKernel<T>>(a, b, "Minimum", node);
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        Tensor<T> a = FirstInput!;
        Tensor<T> b = SecondInput!;
        ReadOnlySpan<T> aValues = SavedFirst.Data;
        ReadOnlySpan<T> bValues = SavedSecond.Data;
        Dims2 aDims = a.Dims;
        Dims2 bDims = b.Dims;
        Dims2 outDims = OutputDims;
        T[] scratch = RentScratch(2 * OutputLength);
        Span<T> aGradient = scratch.AsSpan(0, OutputLength);
        Span<T> bGradient = scratch.AsSpan(OutputLength, OutputLength);
        T half = T.CreateTruncating(0.5);
        int index = 0;
        for (int row = 0; row < outDims.Rows; row++)
        {
            int aRow = aDims.Rows == 1 ? 0 : row * aDims.Columns;
            int bRow = bDims.Rows == 1 ? 0 : row * bDims.Columns;
            for (int column = 0; column < outDims.Columns; column++, index++)
            {
                T x = aValues[aRow + (aDims.Columns == 1 ? 0 : column)];
                T y = bValues[bRow + (bDims.Columns == 1 ? 0 : column)];
                T g = outputGradient[index];
                bool aWins = maximum ? x > y : x < y;
                bool bWins = maximum ? x < y : x > y;
                T shared = x == y ? g * half : g;
                aGradient[index] = bWins ? T.Zero : shared;
                bGradient[index] = aWins ? T.Zero : shared;
            }
        }

        Accumulate(a, aGradient, outDims);
        Accumulate(b, bGradient, outDims);
        ReturnScratch(scratch);
    }
}

/// <summary>
/// <c>condition != 0 ? x : y</c> elementwise, the three broadcast together (PyTorch's <c>torch.where</c>).
/// <c>x</c> receives the gradient where the condition holds, <c>y</c> where it does not; the condition
/// receives none and is kept as a detached view (so its own graph is neither walked nor needed).
/// </summary>
internal sealed class WhereNode<T>(Tensor<T> x, Tensor<T> y, Tensor<T> condition) : Node<T>(x, y, condition)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "Where";

    internal static Tensor<T> Forward(Tensor<T> condition, Tensor<T> x, Tensor<T> y)
    {
        int[] shape = Shapes.Broadcast(Shapes.Broadcast(condition.ShapeArray, x.ShapeArray, "Where"), y.ShapeArray, "Where");
        Dims2 dims = Dims2.Of(shape);
        var data = TensorMemory<T>.Allocate(dims.Length);
        ReadOnlySpan<T> c = condition.Data;
        ReadOnlySpan<T> xValues = x.Data;
        ReadOnlySpan<T> yValues = y.Data;
        if (condition.Dims == dims && x.Dims == dims && y.Dims == dims)
        {
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = c[i] != T.Zero ? xValues[i] : yValues[i];
            }
        }
        else
        {
            var walk = new BroadcastWalk(condition.Dims, x.Dims, y.Dims);
            int index = 0;
            for (int row = 0; row < dims.Rows; row++)
            {
                for (int column = 0; column < dims.Columns; column++, index++)
                {
                    walk.At(row, column, out int ci, out int xi, out int yi);
                    data[index] = c[ci] != T.Zero ? xValues[xi] : yValues[yi];
                }
            }
        }

        Node<T>? node = ShouldRecord(x, y) ? new WhereNode<T>(x, y, condition.Detach()) : null;
        return new Tensor<T>(data, shape, node);
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        ReadOnlySpan<T> c = SavedThird.Data;
        var walk = new BroadcastWalk(ThirdInput!.Dims, FirstInput!.Dims, SecondInput!.Dims);
        Dims2 dims = OutputDims;
        T[] scratch = RentScratch(2 * OutputLength);
        Span<T> xGradient = scratch.AsSpan(0, OutputLength);
        Span<T> yGradient = scratch.AsSpan(OutputLength, OutputLength);
        int index = 0;
        for (int row = 0; row < dims.Rows; row++)
        {
            for (int column = 0; column < dims.Columns; column++, index++)
            {
                walk.At(row, column, out int ci, out _, out _);
                bool holds = c[ci] != T.Zero;
                xGradient[index] = holds ? outputGradient[index] : T.Zero;
                yGradient[index] = holds ? T.Zero : outputGradient[index];
            }
        }

        Accumulate(FirstInput, xGradient, dims);
        Accumulate(SecondInput, yGradient, dims);
        ReturnScratch(scratch);
    }

    /// <summary>The flat indices that NumPy broadcasting reads from three operands for one output position.</summary>
    private readonly struct BroadcastWalk(Dims2 first, Dims2 second, Dims2 third)
    {
        internal void At(int row, int column, out int firstIndex, out int secondIndex, out int thirdIndex)
        {
            firstIndex = Index(first, row, column);
            secondIndex = Index(second, row, column);
            thirdIndex = Index(third, row, column);
        }

        private static int Index(Dims2 dims, int row, int column) =>
            ((dims.Rows == 1 ? 0 : row) * dims.Columns) + (dims.Columns == 1 ? 0 : column);
    }
}

/// <summary>Comparison masks (1 where the relation holds, else 0) with broadcasting; they are constants and record no graph.</summary>
internal static class ComparisonMasks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal static Tensor<T> GreaterThan(Tensor<T> a, Tensor<T> b) => Compare<GreaterThanKernel<T>>(a, b, "GreaterThan");

    internal static Tensor<T> LessThan(Tensor<T> a, Tensor<T> b) => Compare<GreaterThanKernel<T>>(b, a, "LessThan");

    internal static Tensor<T> GreaterThan(Tensor<T> a, T b)
    {
        var data = TensorMemory<T>.Allocate(a.Length);
        GreaterThanKernel<T>.Apply(a.Data, b, data);
        return new Tensor<T>(data, a.ShapeArray);
    }

    internal static Tensor<T> LessThan(Tensor<T> a, T b)
    {
        var data = TensorMemory<T>.Allocate(a.Length);
        GreaterThanKernel<T>.Apply(b, a.Data, data);
        return new Tensor<T>(data, a.ShapeArray);
    }

    private static Tensor<T> Compare<TKernel>(Tensor<T> a, Tensor<T> b, string name)
        where TKernel : IBinaryKernel<T>
    {
        int[] shape = Shapes.Broadcast(a.ShapeArray, b.ShapeArray, name);
        Dims2 dims = Dims2.Of(shape);
        var data = TensorMemory<T>.Allocate(dims.Length);
        Broadcasting<T>.Apply<TKernel>(a.Data, a.Dims, b.Data, b.Dims, data, dims);
        return new Tensor<T>(data, shape);
    }
}

/// <summary><c>destination[i] = max(x[i], y[i])</c>, NaN if either is NaN (<see cref="TensorPrimitives.Max{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>).</summary>
internal readonly struct MaximumKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Max(x, y, destination);

    public static void Apply(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Max(x, y, destination);

    public static void Apply(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Max(y, x, destination);
}

/// <summary><c>destination[i] = min(x[i], y[i])</c>, NaN if either is NaN.</summary>
internal readonly struct MinimumKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Min(x, y, destination);

    public static void Apply(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Min(x, y, destination);

    public static void Apply(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Min(y, x, destination);
}

/// <summary><c>destination[i] = x[i] &gt; y[i] ? 1 : 0</c> (0 when either is NaN).</summary>
internal readonly struct GreaterThanKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = x[i] > y[i] ? T.One : T.Zero;
        }
    }

    public static void Apply(ReadOnlySpan<T> x, T y, Span<T> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = x[i] > y ? T.One : T.Zero;
        }
    }

    public static void Apply(T x, ReadOnlySpan<T> y, Span<T> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = x > y[i] ? T.One : T.Zero;
        }
    }
}
