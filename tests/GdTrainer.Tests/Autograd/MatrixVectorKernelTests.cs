namespace GdTrainer.Tests.Autograd;

using System.Numerics;
using GdTrainer.Autograd;

/// <summary>
/// The SIMD matrix-vector kernels against plain loops in double, for widths below, at and around
/// multiples of the vector width (where the overlapping tail loads and the two-block loop take over).
/// </summary>
public sealed class MatrixVectorKernelTests
{
    public static TheoryData<int, int> Sizes()
    {
        var sizes = new TheoryData<int, int>();
        int width = Vector<float>.Count;
        foreach (int d in new[] { 1, 3, width - 1, width, width + 1, (2 * width) - 1, 2 * width, (2 * width) + 3, (3 * width) + 1, 20, 33 })
        {
            foreach (int n in new[] { 1, 5, 256 })
            {
                sizes.Add(n, d);
            }
        }

        return sizes;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MultiplyMatchesRowDotProductsInFloatAndDouble(int n, int d)
    {
        (double[] a, double[] v, _) = Inputs(n, d);
        var expected = new double[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
            {
                expected[i] += a[(i * d) + j] * v[j];
            }
        }

        var doubles = new double[n];
        MatrixVectorKernels<double>.Multiply(a, v, doubles, n, d);
        var floats = new float[n];
        MatrixVectorKernels<float>.Multiply(ToFloat(a), ToFloat(v), floats, n, d);

        for (int i = 0; i < n; i++)
        {
            Assert.Equal(expected[i], doubles[i], 1e-12);
            Assert.Equal(expected[i], floats[i], 1e-4);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MultiplyTransposedAddAddsColumnSumsToWhatIsThere(int n, int d)
    {
        (double[] a, _, double[] g) = Inputs(n, d);
        var start = new double[d];
        var expected = new double[d];
        for (int j = 0; j < d; j++)
        {
            start[j] = j - 2.5; // The kernel must add to the destination, not overwrite it.
            expected[j] = start[j];
            for (int i = 0; i < n; i++)
            {
                expected[j] += a[(i * d) + j] * g[i];
            }
        }

        double[] doubles = (double[])start.Clone();
        MatrixVectorKernels<double>.MultiplyTransposedAdd(a, g, doubles, n, d);
        float[] floats = ToFloat(start);
        MatrixVectorKernels<float>.MultiplyTransposedAdd(ToFloat(a), ToFloat(g), floats, n, d);

        for (int j = 0; j < d; j++)
        {
            Assert.Equal(expected[j], doubles[j], 1e-11);
            Assert.Equal(expected[j], floats[j], 1e-3);
        }
    }

    [Fact]
    public void KernelsReadOnlyTheRowsAndColumnsTheyAreGiven()
    {
        // Spans longer than n x d (pooled buffers) must not leak their extra elements into the result.
        const int n = 3, d = 11;
        (double[] a, double[] v, double[] g) = Inputs(n, d);
        double[] longA = [.. a, 1e9, 1e9, 1e9];
        double[] longV = [.. v, 1e9];
        double[] longG = [.. g, 1e9];
        var product = new double[n];
        var expectedProduct = new double[n];
        MatrixVectorKernels<double>.Multiply(longA, longV, product, n, d);
        MatrixVectorKernels<double>.Multiply(a, v, expectedProduct, n, d);
        var sums = new double[d + 1];
        var expectedSums = new double[d + 1];
        MatrixVectorKernels<double>.MultiplyTransposedAdd(longA, longG, sums, n, d);
        MatrixVectorKernels<double>.MultiplyTransposedAdd(a, g, expectedSums, n, d);

        Assert.Equal(expectedProduct, product);
        Assert.Equal(expectedSums, sums);
        Assert.Equal(0, sums[d]);
    }

    private static (double[] A, double[] V, double[] G) Inputs(int n, int d)
    {
        var random = new Random((n * 97) + d);
        var a = new double[n * d];
        var v = new double[d];
        var g = new double[n];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (random.NextDouble() * 2) - 1;
        }

        for (int j = 0; j < d; j++)
        {
            v[j] = (random.NextDouble() * 2) - 1;
        }

        for (int i = 0; i < n; i++)
        {
            g[i] = (random.NextDouble() * 2) - 1;
        }

        return (a, v, g);
    }

    private static float[] ToFloat(double[] values)
    {
        var floats = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            floats[i] = (float)values[i];
        }

        return floats;
    }
}
