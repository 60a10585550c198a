namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;

/// <summary>
/// The register-blocked float matrix kernels on every path (Vector512, Vector256, scalar; a forced vector
/// path runs emulated where the hardware lacks it) against triple loops in double, for sizes around the
/// 6-row blocks and the 1- and 2-vector column blocks, and the engine's float MatMul / Linear against
/// the same references.
/// </summary>
public sealed class MatrixKernelTests
{
    private static readonly int[] s_rows = [1, 5, 6, 7, 13];
    private static readonly int[] s_inner = [1, 3, 20, 64, 65];
    private static readonly int[] s_columns = [1, 3, 7, 8, 9, 16, 17, 20, 31, 33, 47, 64, 65];

    // Path names rather than the internal enum: xunit's theory methods are public.
    public static TheoryData<string> Paths() => [nameof(MatrixKernelPath.Best), nameof(MatrixKernelPath.Vector512), nameof(MatrixKernelPath.Vector256), nameof(MatrixKernelPath.Scalar)];

    [Theory]
    [MemberData(nameof(Paths))]
    public void MultiplyMatchesTripleLoop(string pathName)
    {
        var path = Enum.Parse<MatrixKernelPath>(pathName);
        foreach (int n in s_rows)
        {
            foreach (int d in s_inner)
            {
                foreach (int k in s_columns)
                {
                    double[] a = Random(n * d, n + (31 * d) + (7 * k));
                    double[] b = Random(d * k, 1 + n + d + k);
                    (double[] expected, double[] scale) = Product(a, n, d, 1, b, d, k, 1);
                    var c = new float[n * k];
                    Array.Fill(c, float.NaN); // The kernel must overwrite every element.
                    MatrixKernels.Multiply(ToFloat(a), ToFloat(b), c, n, d, k, path: path);
                    AssertClose(expected, scale, c, $"{path} [{n},{d}]@[{d},{k}]");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void MultiplyWithBiasAndReluMatchesTripleLoop(string pathName)
    {
        var path = Enum.Parse<MatrixKernelPath>(pathName);
        foreach (int n in s_rows)
        {
            foreach (int k in s_columns)
            {
                const int d = 20;
                double[] a = Random(n * d, 3 + n + k);
                double[] b = Random(d * k, 5 + n + k);
                double[] bias = Random(k, 7 + k);
                (double[] expected, double[] scale) = Product(a, n, d, 1, b, d, k, 1);
                double[] withBias = new double[expected.Length];
                double[] relu = new double[expected.Length];
                for (int i = 0; i < expected.Length; i++)
                {
                    withBias[i] = expected[i] + bias[i % k];
                    relu[i] = Math.Max(withBias[i], 0);
                    scale[i] += Math.Abs(bias[i % k]);
                }

                var c = new float[n * k];
                MatrixKernels.Multiply(ToFloat(a), ToFloat(b), c, n, d, k, ToFloat(bias), relu: false, path);
                AssertClose(withBias, scale, c, $"{path} bias [{n},{d}]@[{d},{k}]");
                MatrixKernels.Multiply(ToFloat(a), ToFloat(b), c, n, d, k, ToFloat(bias), relu: true, path);
                AssertClose(relu, scale, c, $"{path} bias+relu [{n},{d}]@[{d},{k}]");
                Assert.All(c, value => Assert.True(value >= 0));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void MultiplyByTransposedMatchesTripleLoopStoredAndAdded(string pathName)
    {
        var path = Enum.Parse<MatrixKernelPath>(pathName);
        // c = g @ b^T with g [n, k] and b [d, k]: the output has d columns.
        foreach (int n in s_rows)
        {
            foreach (int k in s_inner)
            {
                foreach (int d in s_columns)
                {
                    double[] g = Random(n * k, 11 + n + (3 * k) + d);
                    double[] b = Random(d * k, 13 + n + k + (5 * d));
                    (double[] expected, double[] scale) = Product(g, n, k, 1, b, k, d, 0, transposedB: true);
                    var c = new float[n * d];
                    Array.Fill(c, float.NaN);
                    MatrixKernels.MultiplyByTransposed(ToFloat(g), ToFloat(b), c, n, k, d, accumulate: false, path);
                    AssertClose(expected, scale, c, $"{path} [{n},{k}]@[{d},{k}]^T");

                    double[] start = Random(n * d, 17 + d);
                    float[] added = ToFloat(start);
                    MatrixKernels.MultiplyByTransposed(ToFloat(g), ToFloat(b), added, n, k, d, accumulate: true, path);
                    AssertClose(Sum(start, expected), AddAbs(scale, start), added, $"{path} += [{n},{k}]@[{d},{k}]^T");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void MultiplyTransposedAddAddsTripleLoopToWhatIsThere(string pathName)
    {
        var path = Enum.Parse<MatrixKernelPath>(pathName);
        // c += a^T @ g with a [n, d] and g [n, k]: the output is [d, k], the inner dimension is n.
        foreach (int d in s_rows)
        {
            foreach (int n in s_inner)
            {
                foreach (int k in s_columns)
                {
                    double[] a = Random(n * d, 19 + n + d + (3 * k));
                    double[] g = Random(n * k, 23 + (2 * n) + d + k);
                    (double[] expected, double[] scale) = Product(a, d, n, 0, g, n, k, 1, transposedA: true);
                    double[] start = Random(d * k, 29 + k);
                    float[] c = ToFloat(start);
                    MatrixKernels.MultiplyTransposedAdd(ToFloat(a), ToFloat(g), c, n, d, k, path);
                    AssertClose(Sum(start, expected), AddAbs(scale, start), c, $"{path} += [{n},{d}]^T@[{n},{k}]");
                }
            }
        }
    }

    // (rows, inner, columns) of c = a @ b, larger than the sweeps above: the MLP's layer products ([256, 20] @ [20, 64],
    // [256, 64] @ [64, 64]), the first layer's weight gradient (x^T g: 20 output rows, an inner dimension of 256), odd sizes
    // with many row blocks, a partial last row block and partial last vectors, and long inner dimensions.
    public static TheoryData<int, int, int> LargerShapes() => new()
    {
        { 256, 20, 64 },
        { 256, 64, 64 },
        { 20, 256, 64 },
        { 7, 300, 33 },
        { 131, 37, 47 },
        { 64, 256, 256 },
    };

    [Theory]
    [MemberData(nameof(LargerShapes))]
    public void LargerProductsMatchDouble(int rows, int inner, int columns)
    {
        float[] a = ToFloat(Random(rows * inner, rows + inner));
        float[] b = ToFloat(Random(inner * columns, columns + 1));
        float[] bias = ToFloat(Random(columns, 3));
        float[] g = ToFloat(Random(rows * columns, 5));
        float[] start = ToFloat(Random(inner * columns, 7));
        var forward = new float[rows * columns];
        MatrixKernels.Multiply(a, b, forward, rows, inner, columns, bias, relu: true);
        var byTransposed = new float[rows * inner];
        MatrixKernels.MultiplyByTransposed(g, b, byTransposed, rows, columns, inner, accumulate: false);
        float[] transposedAdd = (float[])start.Clone();
        MatrixKernels.MultiplyTransposedAdd(a, g, transposedAdd, rows, inner, columns);

        // Against double sums of the same float inputs, within a few float epsilons of the sum of absolute terms.
        static void Check(double sum, double scale, float actual, string what) =>
            Assert.True(Math.Abs(sum - actual) <= 1e-6 * (scale + 1), $"{what}: {actual:R}, expected {sum:R}");

        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                double sum = bias[j], scale = Math.Abs(sum);
                for (int p = 0; p < inner; p++)
                {
                    double term = (double)a[(i * inner) + p] * b[(p * columns) + j];
                    sum += term;
                    scale += Math.Abs(term);
                }

                Check(Math.Max(sum, 0), scale, forward[(i * columns) + j], $"relu(a @ b + bias) [{i},{j}]");
            }

            for (int p = 0; p < inner; p++)
            {
                double sum = 0, scale = 0;
                for (int j = 0; j < columns; j++)
                {
                    double term = (double)g[(i * columns) + j] * b[(p * columns) + j];
                    sum += term;
                    scale += Math.Abs(term);
                }

                Check(sum, scale, byTransposed[(i * inner) + p], $"g @ b^T [{i},{p}]");
            }
        }

        for (int p = 0; p < inner; p++)
        {
            for (int j = 0; j < columns; j++)
            {
                double sum = start[(p * columns) + j], scale = Math.Abs(sum);
                for (int i = 0; i < rows; i++)
                {
                    double term = (double)a[(i * inner) + p] * g[(i * columns) + j];
                    sum += term;
                    scale += Math.Abs(term);
                }

                Check(sum, scale, transposedAdd[(p * columns) + j], $"start + a^T g [{p},{j}]");
            }
        }
    }

    [Fact]
    public void KernelsCalledFromManyThreadsAtOnceGiveTheSameBits()
    {
        // The data-parallel step runs the kernels on several threads at once (one shard each): no kernel may share state
        // between calls (the packed b^T of MultiplyByTransposed is a buffer rented per call).
        const int n = 256, d = 64, k = 64;
        float[] a = ToFloat(Random(n * d, 11)), b = ToFloat(Random(d * k, 13)), bias = ToFloat(Random(k, 17)), g = ToFloat(Random(n * k, 19));
        var expectedForward = new float[n * k];
        var expectedByTransposed = new float[n * d];
        var expectedTransposedAdd = new float[d * k];
        MatrixKernels.Multiply(a, b, expectedForward, n, d, k, bias, relu: true);
        MatrixKernels.MultiplyByTransposed(g, b, expectedByTransposed, n, k, d, accumulate: false);
        MatrixKernels.MultiplyTransposedAdd(a, g, expectedTransposedAdd, n, d, k);
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            var forward = new float[n * k];
            var byTransposed = new float[n * d];
            var transposedAdd = new float[d * k];
            for (int repeat = 0; repeat < 50; repeat++)
            {
                Array.Fill(forward, float.NaN);
                Array.Fill(byTransposed, float.NaN);
                Array.Clear(transposedAdd);
                MatrixKernels.Multiply(a, b, forward, n, d, k, bias, relu: true);
                MatrixKernels.MultiplyByTransposed(g, b, byTransposed, n, k, d, accumulate: false);
                MatrixKernels.MultiplyTransposedAdd(a, g, transposedAdd, n, d, k);
                Assert.Equal(expectedForward, forward);
                Assert.Equal(expectedByTransposed, byTransposed);
                Assert.Equal(expectedTransposedAdd, transposedAdd);
            }
        });
    }

    [Fact]
    public void KernelsLeaveElementsBeyondTheOutputAlone()
    {
        // Pooled buffers are longer than the matrix: nothing past n x k may be written.
        const int n = 7, d = 5, k = 19;
        float[] a = ToFloat(Random(n * d, 1));
        float[] b = ToFloat(Random(d * k, 2));
        float[] g = ToFloat(Random(n * k, 3));
        var c = new float[(n * k) + 5];
        var da = new float[(n * d) + 5];
        var db = new float[(d * k) + 5];
        MatrixKernels.Multiply(a, b, c, n, d, k, ToFloat(Random(k, 4)), relu: true);
        MatrixKernels.MultiplyByTransposed(g, b, da, n, k, d, accumulate: true);
        MatrixKernels.MultiplyTransposedAdd(a, g, db, n, d, k);

        Assert.All(c.AsSpan(n * k).ToArray(), value => Assert.Equal(0f, value));
        Assert.All(da.AsSpan(n * d).ToArray(), value => Assert.Equal(0f, value));
        Assert.All(db.AsSpan(d * k).ToArray(), value => Assert.Equal(0f, value));
    }

    [Fact]
    public void ReluKeepsNaNAsPyTorchDoes()
    {
        float[] a = [float.NaN, 1f, -1f, 2f];
        float[] b = new float[16];
        Array.Fill(b, 1f);
        var c = new float[4 * 16];
        MatrixKernels.Multiply(a, b, c, 4, 1, 16, relu: true);

        Assert.All(c.AsSpan(0, 16).ToArray(), value => Assert.True(float.IsNaN(value)));
        Assert.All(c.AsSpan(32, 16).ToArray(), value => Assert.Equal(0f, value));
        Assert.All(c.AsSpan(48, 16).ToArray(), value => Assert.Equal(2f, value));
    }

    [Theory]
    [InlineData("Scalar", 64, "Scalar")]
    [InlineData("Vector512", 16, "Vector512")]
    [InlineData("Vector512", 15, "Vector256")]
    [InlineData("Vector256", 64, "Vector256")]
    [InlineData("Vector256", 7, "Scalar")]
    [InlineData("Best", 1, "Scalar")]
    public void ForcedPathsRunWhereTheRowsHoldAVector(string requested, int columns, string expected) =>
        Assert.Equal(Enum.Parse<MatrixKernelPath>(expected), MatrixKernels.Choose(Enum.Parse<MatrixKernelPath>(requested), columns));

    [Fact]
    public void BestPathUsesTheWidestAcceleratedVectors()
    {
        MatrixKernelPath expected = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? MatrixKernelPath.Vector512
            : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? MatrixKernelPath.Vector256
            : MatrixKernelPath.Scalar;
        Assert.Equal(expected, MatrixKernels.Choose(MatrixKernelPath.Best, 64));
    }

    [Theory]
    [InlineData(256, 20, 64)]
    [InlineData(13, 64, 65)]
    [InlineData(7, 3, 2)]
    [InlineData(1, 65, 17)]
    public void FloatMatMulForwardAndBackwardMatchDoubleReferences(int n, int d, int k)
    {
        double[] a = Random(n * d, n + d);
        double[] b = Random(d * k, d + k);
        double[] upstream = Random(n * k, n + k);
        var x = Tensor.From(ToFloat(a), [n, d], requiresGrad: true);
        var w = Tensor.From(ToFloat(b), [d, k], requiresGrad: true);
        var weights = Tensor.From(ToFloat(upstream), [n, k]);
        Tensor<float> y = x.MatMul(w);
        (y * weights).Sum().Backward();

        (double[] expected, double[] scale) = Product(a, n, d, 1, b, d, k, 1);
        AssertClose(expected, scale, y.Data.ToArray(), "y");
        (double[] dx, double[] dxScale) = Product(upstream, n, k, 1, b, k, d, 0, transposedB: true);
        AssertClose(dx, dxScale, x.Grad!.Data.ToArray(), "dx");
        (double[] dw, double[] dwScale) = Product(a, d, n, 0, upstream, n, k, 1, transposedA: true);
        AssertClose(dw, dwScale, w.Grad!.Data.ToArray(), "dw");
    }

    [Theory]
    [InlineData(256, 64, 64)]
    [InlineData(5, 3, 17)]
    [InlineData(9, 20, 1)]
    public void FloatLinearWithFusedBiasMatchesDoubleReferences(int n, int d, int k)
    {
        double[] a = Random(n * d, 3 * n);
        double[] b = Random(d * k, 3 * d);
        double[] c = Random(k, 3 * k);
        double[] upstream = Random(n * k, n + k + 1);
        var x = Tensor.From(ToFloat(a), [n, d], requiresGrad: true);
        var w = Tensor.From(ToFloat(b), k == 1 ? [d] : [d, k], requiresGrad: true);
        var bias = Tensor.From(ToFloat(c), [k], requiresGrad: true);
        var weights = Tensor.From(ToFloat(upstream), k == 1 ? [n] : [n, k]);
        Tensor<float> y = Functional.Linear(x, w, bias);
        (y * weights).Sum().Backward();

        (double[] expected, double[] scale) = Product(a, n, d, 1, b, d, k, 1);
        var biasGrad = new double[k];
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] += c[i % k];
            scale[i] += Math.Abs(c[i % k]);
            biasGrad[i % k] += upstream[i];
        }

        AssertClose(expected, scale, y.Data.ToArray(), "y");
        (double[] dx, double[] dxScale) = Product(upstream, n, k, 1, b, k, d, 0, transposedB: true);
        AssertClose(dx, dxScale, x.Grad!.Data.ToArray(), "dx");
        (double[] dw, double[] dwScale) = Product(a, d, n, 0, upstream, n, k, 1, transposedA: true);
        AssertClose(dw, dwScale, w.Grad!.Data.ToArray(), "dw");
        AssertClose(biasGrad, AddAbs(new double[k], upstream.Take(k).ToArray()), bias.Grad!.Data.ToArray(), "dbias", absolute: n * 1e-5);
    }

    [Theory]
    [InlineData(new[] { 5, 3 }, new[] { 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 4, 3 }, new[] { 3 }, new[] { 1 })]
    [InlineData(new[] { 3 }, new[] { 3, 2 }, new[] { 2 })]
    [InlineData(new[] { 7, 2 }, new[] { 2, 3 }, new[] { 7, 3 })]
    public void LinearReluPassesGradCheckForEveryOperand(int[] inputShape, int[] weightShape, int[] biasShape)
    {
        var random = new Random(31);
        var input = TestTensors.Uniform(random, inputShape, -1, 1);
        var weight = TestTensors.Uniform(random, weightShape, -1, 1);
        var bias = TestTensors.Uniform(random, biasShape, -0.5, 0.5);
        TestTensors.AssertGradCheck(t => Functional.LinearRelu(t[0], t[1], t[2]), input, weight, bias);
    }

    [Theory]
    [InlineData(256, 20, 64)]
    [InlineData(13, 64, 17)]
    [InlineData(16, 5, 1)]
    public void LinearReluEqualsLinearThenReluInFloat(int n, int d, int k)
    {
        (Tensor<float> x, Tensor<float> w, Tensor<float> b, Tensor<float> upstream) = FloatLayer(n, d, k, seed: n + d + k);
        Tensor<float> fused = Functional.LinearRelu(x, w, b);
        Assert.Equal("LinearRelu", fused.GradFunctionName);
        (fused * upstream).Sum().Backward();
        float[][] fusedGrads = [x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray()];
        x.Grad = null;
        w.Grad = null;
        b.Grad = null;

        Tensor<float> composite = Functional.Linear(x, w, b).Relu();
        (composite * upstream).Sum().Backward();

        Assert.Contains(composite.Data.ToArray(), value => value == 0); // Some outputs are cut by the ReLU,
        Assert.Contains(composite.Data.ToArray(), value => value > 0); // and some pass.
        Assert.Equal(composite.Data.ToArray(), fused.Data.ToArray());
        float[][] compositeGrads = [x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray()];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < compositeGrads[i].Length; j++)
            {
                Assert.True(Math.Abs(compositeGrads[i][j] - fusedGrads[i][j]) <= 1e-5 * (1 + Math.Abs(compositeGrads[i][j])),
                    $"gradient {i}[{j}]: fused {fusedGrads[i][j]:R}, composite {compositeGrads[i][j]:R}");
            }
        }
    }

    [Theory]
    [InlineData(256, 20, 64)]
    [InlineData(13, 5, 17)]
    [InlineData(9, 3, 8)]
    [InlineData(7, 4, 12)]
    public void LinearReluBiasGradientIsTheMaskedColumnSumAddedToWhatIsThere(int n, int d, int k)
    {
        // The fused mask-and-column-sum pass: db[j] += sum_i (y[i, j] > 0 ? upstream[i, j] : 0), checked in double,
        // with the bias gradient already holding values from an earlier backward (it must add, not overwrite).
        (Tensor<float> x, Tensor<float> w, Tensor<float> b, Tensor<float> upstream) = FloatLayer(n, d, k, seed: 3 * (n + k));
        Tensor<float> first = Functional.LinearRelu(x, w, b);
        (first * upstream).Sum().Backward();
        float[] before = b.Grad!.ToArray();
        Tensor<float> y = Functional.LinearRelu(x, w, b);
        (y * upstream).Sum().Backward();

        float[] output = y.Data.ToArray(), up = upstream.Data.ToArray(), grad = b.Grad!.ToArray();
        Assert.Contains(output, value => value == 0);
        for (int j = 0; j < k; j++)
        {
            double expected = 0, scale = 0;
            for (int i = 0; i < n; i++)
            {
                double value = output[(i * k) + j] > 0 ? up[(i * k) + j] : 0;
                expected += value;
                scale += Math.Abs(value);
            }

            Assert.Equal(2 * expected, grad[j], 1e-5 * (1 + scale));
            Assert.Equal(expected, before[j], 1e-5 * (1 + scale));
        }
    }

    private static (Tensor<float> X, Tensor<float> W, Tensor<float> B, Tensor<float> Upstream) FloatLayer(int n, int d, int k, int seed)
    {
        var x = Tensor.From(ToFloat(Random(n * d, seed)), [n, d], requiresGrad: true);
        var w = Tensor.From(ToFloat(Random(d * k, seed + 1)), k == 1 ? [d] : [d, k], requiresGrad: true);
        var b = Tensor.From(ToFloat(Random(k, seed + 2)), [k], requiresGrad: true);
        var upstream = Tensor.From(ToFloat(Random(n * k, seed + 3)), k == 1 ? [n] : [n, k]);
        return (x, w, b, upstream);
    }

    /// <summary>
    /// <c>left @ right</c> in double with the left operand read as rows x inner and the right as inner x columns,
    /// each either as stored (row-major) or transposed; also the sum of absolute products per element (the error scale).
    /// </summary>
    private static (double[] Product, double[] Scale) Product(
        double[] left, int rows, int inner, int leftIsRowMajor, double[] right, int innerCheck, int columns, int rightIsRowMajor,
        bool transposedA = false, bool transposedB = false)
    {
        Assert.Equal(inner, innerCheck);
        Assert.Equal(transposedA, leftIsRowMajor == 0);
        Assert.Equal(transposedB, rightIsRowMajor == 0);
        var product = new double[rows * columns];
        var scale = new double[rows * columns];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                double sum = 0, absolute = 0;
                for (int p = 0; p < inner; p++)
                {
                    double l = transposedA ? left[(p * rows) + i] : left[(i * inner) + p];
                    double r = transposedB ? right[(j * inner) + p] : right[(p * columns) + j];
                    sum += l * r;
                    absolute += Math.Abs(l * r);
                }

                product[(i * columns) + j] = sum;
                scale[(i * columns) + j] = absolute;
            }
        }

        return (product, scale);
    }

    private static void AssertClose(double[] expected, double[] scale, float[] actual, string what, double absolute = 1e-6)
    {
        Assert.True(actual.Length >= expected.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            // Float rounding of the inputs and of each partial sum: a few float epsilons of the absolute sum.
            double tolerance = absolute + (4e-7 * 8 * scale[i]);
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance,
                $"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R} (tolerance {tolerance:E2})");
        }
    }

    private static double[] Sum(double[] x, double[] y)
    {
        var sum = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            sum[i] = x[i] + y[i];
        }

        return sum;
    }

    private static double[] AddAbs(double[] scale, double[] values)
    {
        var sum = new double[scale.Length];
        for (int i = 0; i < scale.Length; i++)
        {
            sum[i] = scale[i] + Math.Abs(values[i % values.Length]);
        }

        return sum;
    }

    private static double[] Random(int length, int seed)
    {
        var random = new Random(seed);
        var values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (random.NextDouble() * 2) - 1;
        }

        return values;
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
