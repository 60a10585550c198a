using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GdTrainer.Autograd;

/// <summary>
/// The two products a linear layer with one output needs, for a row-major matrix <c>a</c> (n x d):
/// <c>a @ v</c> and <c>a^T @ g</c>. Calling a span primitive per row costs more than the arithmetic
/// when rows are short (d = 20: ~1.2 us and ~1.8 us for 256 rows on the CI machine class); these keep
/// the running sums in SIMD registers instead (~0.5 us and ~0.3 us).
/// </summary>
internal static class MatrixVectorKernels<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary><c>destination[i] = dot(a[i, :], v)</c> for row-major <paramref name="a"/> (n x d).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // See FirstFit in docs/benchmarks.md.
    internal static void Multiply(ReadOnlySpan<T> a, ReadOnlySpan<T> v, Span<T> destination, int n, int d)
    {
        int width = Vector<T>.Count;
        if (!Vector.IsHardwareAccelerated || d < width)
        {
            for (int i = 0; i < n; i++)
            {
                destination[i] = TensorPrimitives.Dot(a.Slice(i * d, d), v);
            }

            return;
        }

        ref T aStart = ref MemoryMarshal.GetReference(a.Slice(0, n * d));
        ref T vStart = ref MemoryMarshal.GetReference(v.Slice(0, d));
        int full = d - (d % width);
        bool hasTail = full < d;

        // The row's remaining columns are read with one vector load ending at the row's end, which overlaps
        // columns already summed; the weights of those overlapped lanes are zeroed so they count once.
        Vector<T> tailWeights = Vector<T>.Zero;
        if (hasTail)
        {
            Span<T> lanes = stackalloc T[width];
            v.Slice(d - width, width).CopyTo(lanes);
            lanes.Slice(0, width - (d - full)).Clear();
            tailWeights = Vector.LoadUnsafe(ref MemoryMarshal.GetReference(lanes));
        }

        for (int i = 0; i < n; i++)
        {
            ref T row = ref Unsafe.Add(ref aStart, i * d);
            Vector<T> sum = Vector<T>.Zero;
            for (int j = 0; j < full; j += width)
            {
                sum += Vector.LoadUnsafe(ref row, (nuint)j) * Vector.LoadUnsafe(ref vStart, (nuint)j);
            }

            if (hasTail)
            {
                sum += Vector.LoadUnsafe(ref row, (nuint)(d - width)) * tailWeights;
            }

            destination[i] = Vector.Sum(sum);
        }
    }

    /// <summary><c>destination[j] += sum_i a[i, j] * g[i]</c> for row-major <paramref name="a"/> (n x d).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // See FirstFit in docs/benchmarks.md.
    internal static void MultiplyTransposedAdd(ReadOnlySpan<T> a, ReadOnlySpan<T> g, Span<T> destination, int n, int d)
    {
        int width = Vector<T>.Count;
        if (!Vector.IsHardwareAccelerated || d < width)
        {
            for (int i = 0; i < n; i++)
            {
                TensorPrimitives.MultiplyAdd(a.Slice(i * d, d), g[i], destination, destination);
            }

            return;
        }

        // The column blocks each walk down all the rows, so the matrix was read once per block (d = 107: 8 times); over
        // chunks of rows that stay in the L1 cache only the first block reads memory. Measured on adult's 26,009 x 107 rows
        // (AVX2, shared 2-core machine, 12 interleaved old/new pairs, best of 40 each): median 1.7x faster (e.g. 2.34 -> 1.14 ms
        // in batches of 2,560 rows, 1.07 -> 0.41 ms in one).
        int chunkRows = Math.Max(1, ChunkElements / d);
        for (int first = 0; first < n; first += chunkRows)
        {
            int rows = Math.Min(chunkRows, n - first);
            AddColumnSums(a.Slice(first * d, rows * d), g.Slice(first, rows), destination, rows, d);
        }
    }

    /// <summary>Elements of <c>a</c> per chunk of rows in <see cref="MultiplyTransposedAdd"/>: 16 KiB of floats, half a 32 KiB L1 data cache.</summary>
    private const int ChunkElements = 4096;

    /// <summary><see cref="MultiplyTransposedAdd"/> over rows that fit in the cache: column blocks of two vectors, then the rest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // See FirstFit in docs/benchmarks.md.
    private static void AddColumnSums(ReadOnlySpan<T> a, ReadOnlySpan<T> g, Span<T> destination, int n, int d)
    {
        int width = Vector<T>.Count;
        ref T aStart = ref MemoryMarshal.GetReference(a.Slice(0, n * d));
        ref T gStart = ref MemoryMarshal.GetReference(g.Slice(0, n));
        ref T destinationStart = ref MemoryMarshal.GetReference(destination.Slice(0, d));
        int column = 0;
        for (; column + (2 * width) <= d; column += 2 * width)
        {
            // Two column blocks at a time: two independent sums keep the multiply-add pipeline busy.
            Vector<T> first = Vector<T>.Zero;
            Vector<T> second = Vector<T>.Zero;
            for (int i = 0; i < n; i++)
            {
                var weight = new Vector<T>(Unsafe.Add(ref gStart, i));
                ref T block = ref Unsafe.Add(ref aStart, (i * d) + column);
                first += Vector.LoadUnsafe(ref block) * weight;
                second += Vector.LoadUnsafe(ref block, (nuint)width) * weight;
            }

            (Vector.LoadUnsafe(ref destinationStart, (nuint)column) + first).StoreUnsafe(ref destinationStart, (nuint)column);
            (Vector.LoadUnsafe(ref destinationStart, (nuint)(column + width)) + second).StoreUnsafe(ref destinationStart, (nuint)(column + width));
        }

        if (column + width <= d)
        {
            Vector<T> sum = WeightedColumnSum(ref aStart, ref gStart, n, d, column);
            (Vector.LoadUnsafe(ref destinationStart, (nuint)column) + sum).StoreUnsafe(ref destinationStart, (nuint)column);
            column += width;
        }

        if (column < d)
        {
            // The last columns: one vector ending at the row's end, of which only the lanes not yet done are added.
            int start = d - width;
            Vector<T> sum = WeightedColumnSum(ref aStart, ref gStart, n, d, start);
            for (int j = column; j < d; j++)
            {
                Unsafe.Add(ref destinationStart, j) += sum[j - start];
            }
        }
    }

    /// <summary><c>sum_i a[i, column .. column + width) * g[i]</c>: one vector of column sums.</summary>
    private static Vector<T> WeightedColumnSum(ref T aStart, ref T gStart, int n, int d, int column)
    {
        Vector<T> sum = Vector<T>.Zero;
        for (int i = 0; i < n; i++)
        {
            sum += Vector.LoadUnsafe(ref Unsafe.Add(ref aStart, (i * d) + column)) * new Vector<T>(Unsafe.Add(ref gStart, i));
        }

        return sum;
    }
}
