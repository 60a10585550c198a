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
        int columns = outDims.Columns;
        T[] scratch = RentScratch(2 * OutputLength);
        Span<T> aGradient = scratch.AsSpan(0, OutputLength);
        Span<T> bGradient = scratch.AsSpan(OutputLength, OutputLength);

        // Row by row; each operand's row is a full row or one value repeated (stride 0).
        int aStride = aDims.Columns == 1 && columns != 1 ? 0 : 1;
        int bStride = bDims.Columns == 1 && columns != 1 ? 0 : 1;
        for (int row = 0; row < outDims.Rows; row++)
        {
            ReadOnlySpan<T> aRow = aValues.Slice(aDims.Rows == 1 ? 0 : row * aDims.Columns, aDims.Columns);
            ReadOnlySpan<T> bRow = bValues.Slice(bDims.Rows == 1 ? 0 : row * bDims.Columns, bDims.Columns);
            int offset = row * columns;
            RowGradients(aRow, aStride, bRow, bStride, outputGradient.Slice(offset, columns), aGradient.Slice(offset, columns), bGradient.Slice(offset, columns));
        }

        Accumulate(a, aGradient, outDims);
        Accumulate(b, bGradient, outDims);
        ReturnScratch(scratch);
    }

    /// <summary>One output row: the winner takes <c>g</c>, the loser 0, a tie <c>g / 2</c> each, NaN <c>g</c> each (PyTorch's rule).</summary>
    private void RowGradients(
        ReadOnlySpan<T> a, int aStride, ReadOnlySpan<T> b, int bStride, ReadOnlySpan<T> g, Span<T> aGradient, Span<T> bGradient)
    {
        T half = T.CreateTruncating(0.5);
        int i = 0;
        if (aStride == 1 && bStride == 1 && Vector.IsHardwareAccelerated)
        {
            var halves = new Vector<T>(half);
            for (; i <= g.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var x = new Vector<T>(a.Slice(i));
                var y = new Vector<T>(b.Slice(i));
                var gradient = new Vector<T>(g.Slice(i));
                Vector<T> aWins = maximum ? Vector.GreaterThan(x, y) : Vector.LessThan(x, y);
                Vector<T> bWins = maximum ? Vector.LessThan(x, y) : Vector.GreaterThan(x, y);
                Vector<T> shared = Vector.ConditionalSelect(Vector.Equals(x, y), gradient * halves, gradient);
                Vector.AndNot(shared, bWins).CopyTo(aGradient.Slice(i));
                Vector.AndNot(shared, aWins).CopyTo(bGradient.Slice(i));
            }
        }

        for (; i < g.Length; i++)
        {
            T x = a[i * aStride];
            T y = b[i * bStride];
            bool aWins = maximum ? x > y : x < y;
            bool bWins = maximum ? x < y : x > y;
            T shared = x == y ? g[i] * half : g[i];
            aGradient[i] = bWins ? T.Zero : shared;
            bGradient[i] = aWins ? T.Zero : shared;
        }
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
            Select(c, xValues, yValues, data);
        }
        else
        {
            // Row by row: each operand's row is either a full row or one value repeated (stride 0).
            Dims2 cDims = condition.Dims;
            Dims2 xDims = x.Dims;
            Dims2 yDims = y.Dims;
            int cStride = cDims.Columns == 1 ? 0 : 1;
            int xStride = xDims.Columns == 1 ? 0 : 1;
            int yStride = yDims.Columns == 1 ? 0 : 1;
            for (int row = 0; row < dims.Rows; row++)
            {
                ReadOnlySpan<T> cRow = c.Slice(cDims.Rows == 1 ? 0 : row * cDims.Columns, cDims.Columns);
                ReadOnlySpan<T> xRow = xValues.Slice(xDims.Rows == 1 ? 0 : row * xDims.Columns, xDims.Columns);
                ReadOnlySpan<T> yRow = yValues.Slice(yDims.Rows == 1 ? 0 : row * yDims.Columns, yDims.Columns);
                Span<T> destination = data.AsSpan(row * dims.Columns, dims.Columns);
                if (cStride + xStride + yStride == 3)
                {
                    Select(cRow, xRow, yRow, destination);
                    continue;
                }

                for (int column = 0; column < destination.Length; column++)
                {
                    destination[column] = cRow[column * cStride] != T.Zero ? xRow[column * xStride] : yRow[column * yStride];
                }
            }
        }

        Node<T>? node = ShouldRecord(x, y) ? new WhereNode<T>(x, y, condition.Detach()) : null;
        return new Tensor<T>(data, shape, node);
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        ReadOnlySpan<T> c = SavedThird.Data;
        Dims2 cDims = ThirdInput!.Dims;
        Dims2 dims = OutputDims;
        T[] scratch = RentScratch(2 * OutputLength);
        Span<T> xGradient = scratch.AsSpan(0, OutputLength);
        Span<T> yGradient = scratch.AsSpan(OutputLength, OutputLength);
        if (cDims == dims)
        {
            // x gets g where the condition holds, y gets the rest: two selects against a zero operand.
            Select(c, outputGradient, default, xGradient);
            Select(c, default, outputGradient, yGradient);
        }
        else
        {
            int cStride = cDims.Columns == 1 ? 0 : 1;
            for (int row = 0; row < dims.Rows; row++)
            {
                ReadOnlySpan<T> cRow = c.Slice(cDims.Rows == 1 ? 0 : row * cDims.Columns, cDims.Columns);
                int offset = row * dims.Columns;
                for (int column = 0; column < dims.Columns; column++)
                {
                    bool holds = cRow[column * cStride] != T.Zero;
                    T g = outputGradient[offset + column];
                    xGradient[offset + column] = holds ? g : T.Zero;
                    yGradient[offset + column] = holds ? T.Zero : g;
                }
            }
        }

        Accumulate(FirstInput, xGradient, dims);
        Accumulate(SecondInput, yGradient, dims);
        ReturnScratch(scratch);
    }

    /// <summary>
    /// <c>destination[i] = condition[i] != 0 ? x[i] : y[i]</c> over equal lengths; an empty <paramref name="x"/>
    /// or <paramref name="y"/> stands for zeros (NaN in the condition counts as true, as <c>!= 0</c> says).
    /// </summary>
    private static void Select(ReadOnlySpan<T> condition, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= destination.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                Vector<T> isZero = Vector.Equals(new Vector<T>(condition.Slice(i)), Vector<T>.Zero);
                Vector<T> onTrue = x.IsEmpty ? Vector<T>.Zero : new Vector<T>(x.Slice(i));
                Vector<T> onFalse = y.IsEmpty ? Vector<T>.Zero : new Vector<T>(y.Slice(i));
                Vector.ConditionalSelect(isZero, onFalse, onTrue).CopyTo(destination.Slice(i));
            }
        }

        for (; i < destination.Length; i++)
        {
            destination[i] = condition[i] != T.Zero ? (x.IsEmpty ? T.Zero : x[i]) : (y.IsEmpty ? T.Zero : y[i]);
        }
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
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= destination.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                Vector.BitwiseAnd(Vector.GreaterThan(new Vector<T>(x.Slice(i)), new Vector<T>(y.Slice(i))), Vector<T>.One).CopyTo(destination.Slice(i));
            }
        }

        for (; i < destination.Length; i++)
        {
            destination[i] = x[i] > y[i] ? T.One : T.Zero;
        }
    }

    public static void Apply(ReadOnlySpan<T> x, T y, Span<T> destination)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var bound = new Vector<T>(y);
            for (; i <= destination.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                Vector.BitwiseAnd(Vector.GreaterThan(new Vector<T>(x.Slice(i)), bound), Vector<T>.One).CopyTo(destination.Slice(i));
            }
        }

        for (; i < destination.Length; i++)
        {
            destination[i] = x[i] > y ? T.One : T.Zero;
        }
    }

    public static void Apply(T x, ReadOnlySpan<T> y, Span<T> destination)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var bound = new Vector<T>(x);
            for (; i <= destination.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                Vector.BitwiseAnd(Vector.GreaterThan(bound, new Vector<T>(y.Slice(i))), Vector<T>.One).CopyTo(destination.Slice(i));
            }
        }

        for (; i < destination.Length; i++)
        {
            destination[i] = x > y[i] ? T.One : T.Zero;
        }
    }
}
