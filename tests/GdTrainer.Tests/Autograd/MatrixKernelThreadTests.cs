namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;

/// <summary>
/// The matrix kernels shared between threads (<see cref="GdTrainer.Autograd.Autograd.IntraOpThreads"/> &gt; 1): split by
/// output rows or by output columns, each product must be bit-identical to the single-threaded one and match a
/// triple loop in double, also when many threads multiply at once (only one of them gets the helpers).
/// </summary>
public sealed class MatrixKernelThreadTests
{
    // (rows, inner, columns) of the output c = a @ b: row splits ([256, 20] @ [20, 64], [256, 64] @ [64, 64]), column splits
    // (20 or 7 output rows: dW1 = x^T g of the first layer), odd sizes with partial row blocks and partial last vectors.
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 256, 20, 64 },
        { 256, 64, 64 },
        { 20, 256, 64 },
        { 7, 300, 33 },
        { 131, 37, 47 },
        { 64, 256, 256 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SplitProductsAreBitIdenticalToSingleThreadedAndMatchDouble(int rows, int inner, int columns)
    {
        float[] a = Random(rows * inner, rows + inner);
        float[] b = Random(inner * columns, columns + 1);
        float[] bias = Random(columns, 3);
        float[] g = Random(rows * columns, 5); // For the two backward products.
        float[] start = Random(inner * columns, 7);
        float[] aT = Transpose(a, rows, inner); // a^T, so that c = a @ b is also aT^T @ b.

        (float[] Forward, float[] ByTransposed, float[] TransposedAdd) Run()
        {
            var forward = new float[rows * columns];
            MatrixKernels.Multiply(a, b, forward, rows, inner, columns, bias, relu: true);
            var gbt = new float[rows * inner];
            MatrixKernels.MultiplyByTransposed(g, b, gbt, rows, columns, inner, accumulate: false);
            float[] transposedAdd = (float[])start.Clone();
            MatrixKernels.MultiplyTransposedAdd(a, g, transposedAdd, rows, inner, columns);
            return (forward, gbt, transposedAdd);
        }

        (float[] single, float[] singleByTransposed, float[] singleTransposedAdd) = WithThreads(1, Run);
        for (int repeat = 0; repeat < 20; repeat++)
        {
            (float[] split, float[] splitByTransposed, float[] splitTransposedAdd) = WithThreads(2, Run);
            Assert.Equal(single, split);
            Assert.Equal(singleByTransposed, splitByTransposed);
            Assert.Equal(singleTransposedAdd, splitTransposedAdd);
        }

        // And the single-threaded results against double (the forward: relu(a @ b + bias); the weight gradient: start + a^T g).
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                double sum = bias[j], scale = Math.Abs(bias[j]);
                for (int p = 0; p < inner; p++)
                {
                    sum += (double)a[(i * inner) + p] * b[(p * columns) + j];
                    scale += Math.Abs((double)a[(i * inner) + p] * b[(p * columns) + j]);
                }

                Assert.True(Math.Abs(Math.Max(sum, 0) - single[(i * columns) + j]) <= 1e-6 * (scale + 1), $"forward [{i},{j}]");
            }
        }

        for (int p = 0; p < inner; p++)
        {
            for (int j = 0; j < columns; j++)
            {
                double sum = start[(p * columns) + j], scale = Math.Abs(sum);
                for (int i = 0; i < rows; i++)
                {
                    sum += (double)aT[(p * rows) + i] * g[(i * columns) + j];
                    scale += Math.Abs((double)aT[(p * rows) + i] * g[(i * columns) + j]);
                }

                Assert.True(Math.Abs(sum - singleTransposedAdd[(p * columns) + j]) <= 1e-6 * (scale + 1), $"a^T g [{p},{j}]");
            }
        }
    }

    [Fact]
    public void ManyThreadsMultiplyingAtOnceGetTheSingleThreadedResults()
    {
        const int n = 256, d = 64, k = 64;
        float[] a = Random(n * d, 11), b = Random(d * k, 13), bias = Random(k, 17);
        var expected = new float[n * k];
        WithThreads(1, () => MatrixKernels.Multiply(a, b, expected, n, d, k, bias, relu: true));
        WithThreads(2, () =>
        {
            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
            {
                var c = new float[n * k];
                for (int repeat = 0; repeat < 50; repeat++)
                {
                    Array.Fill(c, float.NaN);
                    MatrixKernels.Multiply(a, b, c, n, d, k, bias, relu: true);
                    Assert.Equal(expected, c);
                }
            });
        });
    }

    [Fact]
    public void IntraOpThreadsRejectsLessThanOne()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GdTrainer.Autograd.Autograd.IntraOpThreads = 0);
        Assert.Contains("IntraOpThreads", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, GdTrainer.Autograd.Autograd.IntraOpThreads);
    }

    private static T WithThreads<T>(int threads, Func<T> body)
    {
        GdTrainer.Autograd.Autograd.IntraOpThreads = threads;
        try
        {
            return body();
        }
        finally
        {
            GdTrainer.Autograd.Autograd.IntraOpThreads = 1;
        }
    }

    private static void WithThreads(int threads, Action body) => WithThreads(threads, () =>
    {
        body();
        return 0;
    });

    private static float[] Transpose(float[] values, int rows, int columns)
    {
        var result = new float[values.Length];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                result[(j * rows) + i] = values[(i * columns) + j];
            }
        }

        return result;
    }

    private static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (random.NextSingle() * 2) - 1;
        }

        return values;
    }
}
