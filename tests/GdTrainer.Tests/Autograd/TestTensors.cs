namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;

/// <summary>Seeded inputs, reference loops and the gradient-check assertion shared by the autograd tests.</summary>
internal static class TestTensors
{
    /// <summary>Samples uniform on [low, high) from a seeded generator.</summary>
    internal static Tensor<double> Uniform(Random random, int[] shape, double low, double high, bool requiresGrad = true)
    {
        var values = new double[Count(shape)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = low + ((high - low) * random.NextDouble());
        }

        return Tensor.From<double>(values, shape, requiresGrad);
    }

    /// <summary>Values with magnitude in [0.5, 1.5) and a random sign: safe for Abs, Relu and as divisors.</summary>
    internal static Tensor<double> AwayFromZero(Random random, int[] shape, bool requiresGrad = true)
    {
        var values = new double[Count(shape)];
        for (int i = 0; i < values.Length; i++)
        {
            double magnitude = 0.5 + random.NextDouble();
            values[i] = random.Next(2) == 0 ? magnitude : -magnitude;
        }

        return Tensor.From<double>(values, shape, requiresGrad);
    }

    internal static int Count(int[] shape)
    {
        int count = 1;
        foreach (int size in shape)
        {
            count *= size;
        }

        return count;
    }

    /// <summary>
    /// Runs <see cref="GradCheck.Run"/> with its default tolerances and asserts that it passed and
    /// compared the full Jacobian (output length x total length of the inputs that require grad).
    /// </summary>
    internal static void AssertGradCheck(Func<IReadOnlyList<Tensor<double>>, Tensor<double>> function, params Tensor<double>[] inputs)
    {
        int outputLength;
        using (Autograd.NoGrad())
        {
            outputLength = function(inputs).Length;
        }

        int inputLength = 0;
        foreach (Tensor<double> input in inputs)
        {
            inputLength += input.RequiresGrad ? input.Length : 0;
        }

        GradCheckResult result = GradCheck.Run(function, inputs);
        Assert.True(result.Passed, result.Summary);
        Assert.Equal(outputLength * inputLength, result.EntriesCompared);
    }

    /// <summary>Asserts elementwise closeness with the index of the first mismatch in the message.</summary>
    internal static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tolerance = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = tolerance * Math.Max(1.0, Math.Abs(expected[i]));
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= allowed || (double.IsNaN(expected[i]) && double.IsNaN(actual[i])),
                $"Element {i}: expected {expected[i]:R}, actual {actual[i]:R}.");
        }
    }

    /// <summary>The product of row-major n x d and d x k matrices by the textbook triple loop.</summary>
    internal static double[] MatMulReference(double[] a, double[] b, int n, int d, int k)
    {
        var result = new double[n * k];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < k; c++)
            {
                double sum = 0;
                for (int j = 0; j < d; j++)
                {
                    sum += a[(i * d) + j] * b[(j * k) + c];
                }

                result[(i * k) + c] = sum;
            }
        }

        return result;
    }

    /// <summary>
    /// The flat index into an operand of shape <paramref name="shape"/> (rank 0-2) that NumPy
    /// broadcasting reads for output element (<paramref name="row"/>, <paramref name="column"/>).
    /// </summary>
    internal static int BroadcastIndex(int[] shape, int row, int column)
    {
        int rows = shape.Length == 2 ? shape[0] : 1;
        int columns = shape.Length >= 1 ? shape[^1] : 1;
        int r = rows == 1 ? 0 : row;
        int c = columns == 1 ? 0 : column;
        return (r * columns) + c;
    }
}
