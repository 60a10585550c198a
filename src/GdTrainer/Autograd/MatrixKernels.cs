using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GdTrainer.Autograd;

/// <summary>Which instruction set <see cref="MatrixKernels"/> uses; tests force each one.</summary>
internal enum MatrixKernelPath
{
    /// <summary>The widest accelerated vectors that fit the output's width (what the engine uses).</summary>
    Best,

    /// <summary>Vector512 (AVX-512), where accelerated and the output has at least 16 columns.</summary>
    Vector512,

    /// <summary>Vector256 (AVX2), where accelerated and the output has at least 8 columns.</summary>
    Vector256,

    /// <summary>Plain scalar code: the same register blocking with one float per "vector".</summary>
    Scalar,
}

/// <summary>
/// The three row-major float matrix products a linear layer needs, as register-blocked SIMD
/// micro-kernels: <c>c = a @ b (+ bias, ReLU)</c>, <c>c = g @ b^T</c> and <c>c += a^T @ g</c>.
/// </summary>
/// <remarks>
/// <para>
/// One micro-kernel serves all three: it computes a block of 6 rows x 2 vectors of columns of the
/// output, holding the 12 running sums in registers (with the 2 loaded vectors and a broadcast, 15 of
/// AVX2's 16 vector registers: no spills), and for each step of the inner dimension loads 2 vectors of
/// a row of the right operand and broadcasts one element of the left operand per row (fused
/// multiply-add). The left operand is addressed by two strides, so <c>a^T</c> needs no copy; <c>b^T</c>
/// is packed once, in 16 x 16 tiles, into a pooled buffer (its cost is 1/n of the product's). A last
/// partial row block repeats its last row and stores only its own rows; columns left over after the
/// 2-vector blocks use a 1-vector kernel, and the last partial vector is a vector ending at the row's
/// end, overlapping columns already done (recomputed identically when storing, masked when adding).
/// </para>
/// <para>
/// Measured on the 2-core AMD EPYC of the CI machine class (AVX2 only, practical peak ~93 GFLOP/s per
/// core, thread CPU time, 256 rows), against the per-row TensorPrimitives loops these replace
/// (forward / <c>g @ b^T</c> / <c>a^T @ g</c>), best of repeated runs on a loaded machine:
/// <c>[256,20]@[20,64]</c> 61/74/64 us down to 15/13/14 us; <c>[256,64]@[64,64]</c> 134/222/152 us down to
/// 25/29/29 us (71-84 GFLOP/s); <c>[256,256]@[256,256]</c> 1602/1720/2340 us down to 526/484/589 us
/// (57-69 GFLOP/s).
/// The Vector512 path has the same blocking; it could not be timed on this machine (no AVX-512).
/// </para>
/// </remarks>
internal static class MatrixKernels
{
    private const int BlockRows = 6;
    private const int BlockVectors = 2;

    /// <summary>
    /// <c>c[i, j] = sum_p a[i, p] b[p, j] (+ bias[j])</c>, then <c>max(c, 0)</c> when <paramref name="relu"/>:
    /// <paramref name="a"/> is n x d, <paramref name="b"/> is d x k, <paramref name="c"/> is n x k (overwritten),
    /// <paramref name="bias"/> is empty or of length k.
    /// </summary>
    internal static void Multiply(
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int n, int d, int k,
        ReadOnlySpan<float> bias = default, bool relu = false, MatrixKernelPath path = MatrixKernelPath.Best)
    {
        CheckLengths(a.Length, n * d, b.Length, d * k, c.Length, n * k);
        if (!bias.IsEmpty && bias.Length != k)
        {
            throw new ArgumentException($"The bias has {bias.Length} elements but the product has {k} columns.", nameof(bias));
        }

        if (n == 0 || k == 0)
        {
            return;
        }

        var epilogue = new Epilogue(Accumulate: false, HasBias: !bias.IsEmpty, Relu: relu);
        ref float biasStart = ref bias.IsEmpty ? ref Unsafe.NullRef<float>() : ref MemoryMarshal.GetReference(bias);
        Run(Choose(path, k), ref MemoryMarshal.GetReference(a), d, 1, ref MemoryMarshal.GetReference(b), k,
            ref MemoryMarshal.GetReference(c), k, n, d, k, ref biasStart, epilogue);
    }

    /// <summary>
    /// <c>c[i, j] (+)= sum_p g[i, p] b[j, p]</c>, i.e. <c>c = g @ b^T</c>, or <c>c += g @ b^T</c> when
    /// <paramref name="accumulate"/>: <paramref name="g"/> is n x k, <paramref name="b"/> is d x k,
    /// <paramref name="c"/> is n x d. The backward of <c>a @ b</c> with respect to <c>a</c>.
    /// </summary>
    internal static void MultiplyByTransposed(
        ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> c, int n, int k, int d, bool accumulate = false,
        MatrixKernelPath path = MatrixKernelPath.Best)
    {
        CheckLengths(g.Length, n * k, b.Length, d * k, c.Length, n * d);
        if (n == 0 || d == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (!accumulate)
            {
                c.Slice(0, n * d).Clear();
            }

            return;
        }

        if (k == 1 && path == MatrixKernelPath.Best)
        {
            OuterProduct(g, b, c, n, d, accumulate);
            return;
        }

        // Pack b^T (k x d) so that the right operand's rows are contiguous, as the micro-kernel reads them.
        float[] packed = ArrayPool<float>.Shared.Rent(k * d);
        Transpose(b, packed, d, k);
        Run(Choose(path, d), ref MemoryMarshal.GetReference(g), k, 1, ref MemoryMarshal.GetArrayDataReference(packed), d,
            ref MemoryMarshal.GetReference(c), d, n, k, d, ref Unsafe.NullRef<float>(), new Epilogue(accumulate, false, false));
        ArrayPool<float>.Shared.Return(packed);
    }

    /// <summary>
    /// <c>c[j, q] += sum_i a[i, j] g[i, q]</c>, i.e. <c>c += a^T @ g</c>: <paramref name="a"/> is n x d,
    /// <paramref name="g"/> is n x k, <paramref name="c"/> is d x k (added to). The backward of
    /// <c>a @ b</c> with respect to <c>b</c>, accumulated straight into <c>b</c>'s gradient.
    /// </summary>
    internal static void MultiplyTransposedAdd(
        ReadOnlySpan<float> a, ReadOnlySpan<float> g, Span<float> c, int n, int d, int k, MatrixKernelPath path = MatrixKernelPath.Best)
    {
        CheckLengths(a.Length, n * d, g.Length, n * k, c.Length, d * k);
        if (n == 0 || d == 0 || k == 0)
        {
            return;
        }

        // The left operand a^T (d x n) is a read with its strides swapped: row j steps by 1, the inner index by d.
        // Packing a^T contiguously first (one blocked transpose) was tried for d = 256 and measured no gain
        // (631 vs 645 us for [256,256]^T @ [256,256], thread CPU time on a loaded machine), so it is not done.
        Run(Choose(path, k), ref MemoryMarshal.GetReference(a), 1, d, ref MemoryMarshal.GetReference(g), k,
            ref MemoryMarshal.GetReference(c), k, d, n, k, ref Unsafe.NullRef<float>(), new Epilogue(true, false, false));
    }


    /// <summary>
    /// <c>c[i, j] (+)= g[i] b[j]</c>: <see cref="MultiplyByTransposed"/> for k = 1 (the input gradient of a layer with one
    /// output), one broadcast and a vector multiply(-add) per 8 elements. Measured for n = 256, d = 64 (AVX2, 2026-12-02):
    /// 8.4 us through the packed micro-kernel with an inner dimension of 1 (wall clock, best of 7 x 2,000 calls, load
    /// average ~15), 2.1-2.3 us here (thread CPU time, best of 15 x 500 calls, load average 50-90).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // See FirstFit in docs/benchmarks.md.
    private static void OuterProduct(ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> c, int n, int d, bool accumulate)
    {
        ref float gStart = ref MemoryMarshal.GetReference(g);
        ref float bStart = ref MemoryMarshal.GetReference(b);
        ref float cStart = ref MemoryMarshal.GetReference(c);
        int width = System.Numerics.Vector<float>.Count;
        int full = System.Numerics.Vector.IsHardwareAccelerated ? d - (d % width) : 0;
        for (int i = 0; i < n; i++)
        {
            float gi = Unsafe.Add(ref gStart, i);
            var scale = new System.Numerics.Vector<float>(gi);
            ref float row = ref Unsafe.Add(ref cStart, i * d);
            int j = 0;
            for (; j < full; j += width)
            {
                System.Numerics.Vector<float> product = System.Numerics.Vector.LoadUnsafe(ref bStart, (nuint)j) * scale;
                if (accumulate)
                {
                    product += System.Numerics.Vector.LoadUnsafe(ref row, (nuint)j);
                }

                System.Numerics.Vector.StoreUnsafe(product, ref row, (nuint)j);
            }

            for (; j < d; j++)
            {
                float product = gi * Unsafe.Add(ref bStart, j);
                Unsafe.Add(ref row, j) = accumulate ? Unsafe.Add(ref row, j) + product : product;
            }
        }
    }

    /// <summary>
    /// The path actually run for an output of <paramref name="columns"/> columns. <see cref="MatrixKernelPath.Best"/>
    /// takes the widest accelerated vectors that fit in a row (a vector kernel needs at least one full vector
    /// per row). A forced vector path runs even where it is not accelerated (the runtime then emulates the
    /// vectors, slowly but exactly), so tests check every path on any machine; it falls back to narrower
    /// vectors only when the rows are too short.
    /// </summary>
    internal static MatrixKernelPath Choose(MatrixKernelPath requested, int columns)
    {
        bool best = requested == MatrixKernelPath.Best;
        if (columns >= Vector512<float>.Count &&
            (requested == MatrixKernelPath.Vector512 || (best && Vector512.IsHardwareAccelerated)))
        {
            return MatrixKernelPath.Vector512;
        }

        if (columns >= Vector256<float>.Count &&
            (requested == MatrixKernelPath.Vector512 || requested == MatrixKernelPath.Vector256 || (best && Vector256.IsHardwareAccelerated)))
        {
            return MatrixKernelPath.Vector256;
        }

        return MatrixKernelPath.Scalar;
    }

    private static void CheckLengths(int aLength, int aNeeded, int bLength, int bNeeded, int cLength, int cNeeded)
    {
        if (aLength < aNeeded || bLength < bNeeded || cLength < cNeeded)
        {
            throw new ArgumentException(
                $"Matrix kernel operands too short: got {aLength}, {bLength} and {cLength} elements, need {aNeeded}, {bNeeded} and {cNeeded}.");
        }
    }

    /// <summary>
    /// <c>destination[c * rows + r] = source[r * columns + c]</c> for a row-major rows x columns source:
    /// 8 x 8 blocks transposed in AVX registers (unpack, shuffle, lane permute) where AVX is available,
    /// element by element for the edges and elsewhere. 64 x 64: 5.2 us element by element (7.0 us in
    /// 16 x 16 tiles), 1.7 us in 8 x 8 register blocks; 256 x 256: 127 us (97 us tiled), 31 us blocked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // See FirstFit in docs/benchmarks.md.
    private static void Transpose(ReadOnlySpan<float> source, Span<float> destination, int rows, int columns)
    {
        ref float from = ref MemoryMarshal.GetReference(source);
        ref float to = ref MemoryMarshal.GetReference(destination);
        int blockRows = 0, blockColumns = 0;
        if (Avx.IsSupported)
        {
            blockRows = rows - (rows % 8);
            blockColumns = columns - (columns % 8);
            for (int r = 0; r < blockRows; r += 8)
            {
                for (int c = 0; c < blockColumns; c += 8)
                {
                    Transpose8x8(ref Unsafe.Add(ref from, (r * columns) + c), columns, ref Unsafe.Add(ref to, (c * rows) + r), rows);
                }
            }
        }

        // The edges: the last columns of the blocked rows, then the last rows.
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref from, r * columns);
            for (int c = r < blockRows ? blockColumns : 0; c < columns; c++)
            {
                Unsafe.Add(ref to, (c * rows) + r) = Unsafe.Add(ref row, c);
            }
        }
    }

    /// <summary>Transposes the 8 x 8 block at <paramref name="source"/> (row stride <paramref name="sourceStride"/>) into <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref float source, nint sourceStride, ref float destination, nint destinationStride)
    {
        Vector256<float> r0 = Vector256.LoadUnsafe(ref source);
        Vector256<float> r1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, sourceStride));
        Vector256<float> r2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 2 * sourceStride));
        Vector256<float> r3 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 3 * sourceStride));
        Vector256<float> r4 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 4 * sourceStride));
        Vector256<float> r5 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 5 * sourceStride));
        Vector256<float> r6 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 6 * sourceStride));
        Vector256<float> r7 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 7 * sourceStride));

        // Pairs of rows interleaved, then quadruples, then the 128-bit halves exchanged.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref destination);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref Unsafe.Add(ref destination, destinationStride));
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref Unsafe.Add(ref destination, 2 * destinationStride));
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref Unsafe.Add(ref destination, 3 * destinationStride));
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref Unsafe.Add(ref destination, 4 * destinationStride));
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref Unsafe.Add(ref destination, 5 * destinationStride));
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref Unsafe.Add(ref destination, 6 * destinationStride));
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref Unsafe.Add(ref destination, 7 * destinationStride));
    }

    /// <summary>What the kernel does with each block of sums: store (plus bias, ReLU) or add to the output.</summary>
    private readonly record struct Epilogue(bool Accumulate, bool HasBias, bool Relu);

    private static void Run(
        MatrixKernelPath path, ref float a, nint aRowStride, nint aInnerStride, ref float b, nint bRowStride,
        ref float c, nint cRowStride, int rows, int inner, int columns, ref float bias, Epilogue epilogue)
    {
        switch (path)
        {
            case MatrixKernelPath.Vector512:
                Run<Simd512, Vector512<float>>(ref a, aRowStride, aInnerStride, ref b, bRowStride, ref c, cRowStride, rows, inner, columns, ref bias, epilogue);
                break;
            case MatrixKernelPath.Vector256:
                Run<Simd256, Vector256<float>>(ref a, aRowStride, aInnerStride, ref b, bRowStride, ref c, cRowStride, rows, inner, columns, ref bias, epilogue);
                break;
            default:
                Run<Scalar, float>(ref a, aRowStride, aInnerStride, ref b, bRowStride, ref c, cRowStride, rows, inner, columns, ref bias, epilogue);
                break;
        }
    }

    /// <summary>
    /// The driver: column blocks of 2 vectors (then one vector, then one last vector ending at the row's
    /// end, overlapping columns already done), and within each, row blocks of 6 (the last block may be
    /// partial). The left operand's element (r, p) is at <c>a[r * aRowStride + p * aInnerStride]</c>, the
    /// right's (p, j) at <c>b[p * bRowStride + j]</c>, the output's (r, j) at <c>c[r * cRowStride + j]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // See FirstFit in docs/benchmarks.md.
    private static void Run<TOps, TVec>(
        ref float a, nint aRowStride, nint aInnerStride, ref float b, nint bRowStride,
        ref float c, nint cRowStride, int rows, int inner, int columns, ref float bias, Epilogue epilogue)
        where TOps : ISimdOps<TVec>
        where TVec : struct
    {
        int width = TOps.Width;
        int column = 0;
        for (; column + (BlockVectors * width) <= columns; column += BlockVectors * width)
        {
            ref float biasAt = ref epilogue.HasBias ? ref Unsafe.Add(ref bias, column) : ref bias;
            for (int r = 0; r < rows; r += BlockRows)
            {
                Block6x2<TOps, TVec>(ref Unsafe.Add(ref a, r * aRowStride), aRowStride, aInnerStride, ref Unsafe.Add(ref b, column), bRowStride,
                    ref Unsafe.Add(ref c, (r * cRowStride) + column), cRowStride, inner, ref biasAt, epilogue, Math.Min(BlockRows, rows - r));
            }
        }

        int firstLane = 0;
        while (column < columns)
        {
            if (column + width > columns)
            {
                // The last partial vector: one ending at the row's end; its first lanes were done already.
                firstLane = column - (columns - width);
                column = columns - width;
            }

            ref float biasAt = ref epilogue.HasBias ? ref Unsafe.Add(ref bias, column) : ref bias;
            for (int r = 0; r < rows; r += BlockRows)
            {
                Block6x1<TOps, TVec>(ref Unsafe.Add(ref a, r * aRowStride), aRowStride, aInnerStride, ref Unsafe.Add(ref b, column), bRowStride,
                    ref Unsafe.Add(ref c, (r * cRowStride) + column), cRowStride, inner, ref biasAt, epilogue, Math.Min(BlockRows, rows - r), firstLane);
            }

            column += width;
        }
    }

    /// <summary>
    /// 6 rows x 2 vectors: 12 sums in registers (with the 2 loaded vectors and a broadcast, 15 of
    /// AVX2's 16 registers), 2 loads and 6 broadcasts per 12 multiply-adds. A partial block
    /// (<paramref name="rows"/> &lt; 6) repeats its last row in the missing ones and stores only its own.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // See FirstFit in docs/benchmarks.md.
    private static void Block6x2<TOps, TVec>(
        ref float a, nint aRowStride, nint aInnerStride, ref float b, nint bRowStride,
        ref float c, nint cRowStride, int inner, ref float bias, Epilogue epilogue, int rows)
        where TOps : ISimdOps<TVec>
        where TVec : struct
    {
        int w = TOps.Width;
        TVec s00 = TOps.Zero, s01 = TOps.Zero, s10 = TOps.Zero, s11 = TOps.Zero, s20 = TOps.Zero, s21 = TOps.Zero;
        TVec s30 = TOps.Zero, s31 = TOps.Zero, s40 = TOps.Zero, s41 = TOps.Zero, s50 = TOps.Zero, s51 = TOps.Zero;
        ref float a0 = ref a;
        ref float a1 = ref Unsafe.Add(ref a, Math.Min(1, rows - 1) * aRowStride);
        ref float a2 = ref Unsafe.Add(ref a, Math.Min(2, rows - 1) * aRowStride);
        ref float a3 = ref Unsafe.Add(ref a, Math.Min(3, rows - 1) * aRowStride);
        ref float a4 = ref Unsafe.Add(ref a, Math.Min(4, rows - 1) * aRowStride);
        ref float a5 = ref Unsafe.Add(ref a, Math.Min(5, rows - 1) * aRowStride);
        ref float bp = ref b;
        nint offset = 0;
        for (int p = 0; p < inner; p++)
        {
            TVec b0 = TOps.Load(ref bp);
            TVec b1 = TOps.Load(ref Unsafe.Add(ref bp, w));
            TVec x = TOps.Broadcast(Unsafe.Add(ref a0, offset));
            s00 = TOps.MultiplyAdd(x, b0, s00);
            s01 = TOps.MultiplyAdd(x, b1, s01);
            x = TOps.Broadcast(Unsafe.Add(ref a1, offset));
            s10 = TOps.MultiplyAdd(x, b0, s10);
            s11 = TOps.MultiplyAdd(x, b1, s11);
            x = TOps.Broadcast(Unsafe.Add(ref a2, offset));
            s20 = TOps.MultiplyAdd(x, b0, s20);
            s21 = TOps.MultiplyAdd(x, b1, s21);
            x = TOps.Broadcast(Unsafe.Add(ref a3, offset));
            s30 = TOps.MultiplyAdd(x, b0, s30);
            s31 = TOps.MultiplyAdd(x, b1, s31);
            x = TOps.Broadcast(Unsafe.Add(ref a4, offset));
            s40 = TOps.MultiplyAdd(x, b0, s40);
            s41 = TOps.MultiplyAdd(x, b1, s41);
            x = TOps.Broadcast(Unsafe.Add(ref a5, offset));
            s50 = TOps.MultiplyAdd(x, b0, s50);
            s51 = TOps.MultiplyAdd(x, b1, s51);
            offset += aInnerStride;
            bp = ref Unsafe.Add(ref bp, bRowStride);
        }

        ref float c1 = ref Unsafe.Add(ref c, w);
        ref float bias1 = ref Unsafe.Add(ref bias, epilogue.HasBias ? w : 0);
        Finish<TOps, TVec>(ref c, ref bias, epilogue, s00, 0);
        Finish<TOps, TVec>(ref c1, ref bias1, epilogue, s01, 0);
        if (rows > 1)
        {
            Finish<TOps, TVec>(ref Unsafe.Add(ref c, cRowStride), ref bias, epilogue, s10, 0);
            Finish<TOps, TVec>(ref Unsafe.Add(ref c1, cRowStride), ref bias1, epilogue, s11, 0);
        }

        if (rows > 2)
        {
            Finish<TOps, TVec>(ref Unsafe.Add(ref c, 2 * cRowStride), ref bias, epilogue, s20, 0);
            Finish<TOps, TVec>(ref Unsafe.Add(ref c1, 2 * cRowStride), ref bias1, epilogue, s21, 0);
        }

        if (rows > 3)
        {
            Finish<TOps, TVec>(ref Unsafe.Add(ref c, 3 * cRowStride), ref bias, epilogue, s30, 0);
            Finish<TOps, TVec>(ref Unsafe.Add(ref c1, 3 * cRowStride), ref bias1, epilogue, s31, 0);
        }

        if (rows > 4)
        {
            Finish<TOps, TVec>(ref Unsafe.Add(ref c, 4 * cRowStride), ref bias, epilogue, s40, 0);
            Finish<TOps, TVec>(ref Unsafe.Add(ref c1, 4 * cRowStride), ref bias1, epilogue, s41, 0);
        }

        if (rows > 5)
        {
            Finish<TOps, TVec>(ref Unsafe.Add(ref c, 5 * cRowStride), ref bias, epilogue, s50, 0);
            Finish<TOps, TVec>(ref Unsafe.Add(ref c1, 5 * cRowStride), ref bias1, epilogue, s51, 0);
        }
    }

    /// <summary>6 rows x 1 vector, for the columns left over after the blocks of 2 vectors; partial blocks as in <see cref="Block6x2"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // See FirstFit in docs/benchmarks.md.
    private static void Block6x1<TOps, TVec>(
        ref float a, nint aRowStride, nint aInnerStride, ref float b, nint bRowStride,
        ref float c, nint cRowStride, int inner, ref float bias, Epilogue epilogue, int rows, int firstLane)
        where TOps : ISimdOps<TVec>
        where TVec : struct
    {
        TVec s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero, s4 = TOps.Zero, s5 = TOps.Zero;
        ref float a1 = ref Unsafe.Add(ref a, Math.Min(1, rows - 1) * aRowStride);
        ref float a2 = ref Unsafe.Add(ref a, Math.Min(2, rows - 1) * aRowStride);
        ref float a3 = ref Unsafe.Add(ref a, Math.Min(3, rows - 1) * aRowStride);
        ref float a4 = ref Unsafe.Add(ref a, Math.Min(4, rows - 1) * aRowStride);
        ref float a5 = ref Unsafe.Add(ref a, Math.Min(5, rows - 1) * aRowStride);
        ref float bp = ref b;
        nint offset = 0;
        for (int p = 0; p < inner; p++)
        {
            TVec y = TOps.Load(ref bp);
            s0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, offset)), y, s0);
            s1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a1, offset)), y, s1);
            s2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a2, offset)), y, s2);
            s3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a3, offset)), y, s3);
            s4 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a4, offset)), y, s4);
            s5 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a5, offset)), y, s5);
            offset += aInnerStride;
            bp = ref Unsafe.Add(ref bp, bRowStride);
        }

        Finish<TOps, TVec>(ref c, ref bias, epilogue, s0, firstLane);
        if (rows > 1)
        {
            Finish<TOps, TVec>(ref Unsafe.Add(ref c, cRowStride), ref bias, epilogue, s1, firstLane);
        }

        if (rows > 2)
        {
            Finish<TOps, TVec>(ref Unsafe.Add(ref c, 2 * cRowStride), ref bias, epilogue, s2, firstLane);
        }

        if (rows > 3)
        {
            Finish<TOps, TVec>(ref Unsafe.Add(ref c, 3 * cRowStride), ref bias, epilogue, s3, firstLane);
        }

        if (rows > 4)
        {
            Finish<TOps, TVec>(ref Unsafe.Add(ref c, 4 * cRowStride), ref bias, epilogue, s4, firstLane);
        }

        if (rows > 5)
        {
            Finish<TOps, TVec>(ref Unsafe.Add(ref c, 5 * cRowStride), ref bias, epilogue, s5, firstLane);
        }
    }

    /// <summary>
    /// Writes one vector of sums: added to what is there (only lanes from <paramref name="firstLane"/> on),
    /// or stored after adding the bias and applying ReLU.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish<TOps, TVec>(ref float c, ref float bias, Epilogue epilogue, TVec sum, int firstLane)
        where TOps : ISimdOps<TVec>
        where TVec : struct
    {
        if (epilogue.Accumulate)
        {
            if (firstLane != 0)
            {
                sum = TOps.KeepFrom(sum, firstLane);
            }

            TOps.Store(TOps.Add(TOps.Load(ref c), sum), ref c);
            return;
        }

        if (epilogue.HasBias)
        {
            sum = TOps.Add(sum, TOps.Load(ref bias));
        }

        if (epilogue.Relu)
        {
            sum = TOps.Max(sum, TOps.Zero);
        }

        TOps.Store(sum, ref c);
    }

    /// <summary>The vector operations the micro-kernels are written in; one implementation per instruction set.</summary>
    private interface ISimdOps<TVec>
        where TVec : struct
    {
        static abstract int Width { get; }

        static abstract TVec Zero { get; }

        static abstract TVec Load(ref float source);

        static abstract void Store(TVec value, ref float destination);

        static abstract TVec Broadcast(float value);

        /// <summary><c>left * right + addend</c>.</summary>
        static abstract TVec MultiplyAdd(TVec left, TVec right, TVec addend);

        static abstract TVec Add(TVec left, TVec right);

        /// <summary>The lane-wise maximum, NaN propagating (as PyTorch's <c>relu</c>).</summary>
        static abstract TVec Max(TVec left, TVec right);

        /// <summary>The value with lanes below <paramref name="firstLane"/> set to zero.</summary>
        static abstract TVec KeepFrom(TVec value, int firstLane);
    }

    private readonly struct Simd512 : ISimdOps<Vector512<float>>
    {
        public static int Width => Vector512<float>.Count;

        public static Vector512<float> Zero => Vector512<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(ref float source) => Vector512.LoadUnsafe(ref source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<float> value, ref float destination) => value.StoreUnsafe(ref destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MultiplyAdd(Vector512<float> left, Vector512<float> right, Vector512<float> addend) =>
            Vector512.FusedMultiplyAdd(left, right, addend);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Add(Vector512<float> left, Vector512<float> right) => left + right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Max(Vector512<float> left, Vector512<float> right) => Vector512.Max(left, right);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> KeepFrom(Vector512<float> value, int firstLane) =>
            value & Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(firstLane)).AsSingle();
    }

    private readonly struct Simd256 : ISimdOps<Vector256<float>>
    {
        public static int Width => Vector256<float>.Count;

        public static Vector256<float> Zero => Vector256<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load(ref float source) => Vector256.LoadUnsafe(ref source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<float> value, ref float destination) => value.StoreUnsafe(ref destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> MultiplyAdd(Vector256<float> left, Vector256<float> right, Vector256<float> addend) =>
            Vector256.FusedMultiplyAdd(left, right, addend);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Add(Vector256<float> left, Vector256<float> right) => left + right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Max(Vector256<float> left, Vector256<float> right) => Vector256.Max(left, right);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> KeepFrom(Vector256<float> value, int firstLane) =>
            value & Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(firstLane)).AsSingle();
    }

    /// <summary>One float per "vector": the fallback without SIMD, and the path tests use to check the blocking alone.</summary>
    private readonly struct Scalar : ISimdOps<float>
    {
        public static int Width => 1;

        public static float Zero => 0f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Load(ref float source) => source;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(float value, ref float destination) => destination = value;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Broadcast(float value) => value;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float MultiplyAdd(float left, float right, float addend) => (left * right) + addend;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Add(float left, float right) => left + right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Max(float left, float right) => MathF.Max(left, right);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float KeepFrom(float value, int firstLane) => firstLane == 0 ? value : 0f;
    }
}
