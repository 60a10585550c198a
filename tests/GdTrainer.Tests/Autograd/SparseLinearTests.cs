namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;
using GdTrainer.Optimizers;
using GdTrainer.Tests.Optimizers;

/// <summary>
/// The product of sparse rows with a weight (<see cref="Functional.SparseLinear"/>) against the dense product of the same
/// rows densified, and its row-sparse gradient against the dense gradient; the optimizers' row forms against the dense
/// steps (SGD with weight decay, Adagrad) and against PyTorch's SparseAdam box written out in double.
/// </summary>
public sealed class SparseLinearTests
{
    /// <summary>Rows of <paramref name="columns"/> columns with about one entry in four non-zero, as CSR and densified.</summary>
    internal static (SparseRows Sparse, float[] Dense) RandomRows(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var dense = new float[rows * columns];
        var starts = new int[rows + 1];
        var indices = new List<int>();
        var values = new List<float>();

        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                if (random.NextDouble() < 0.25)
                {
                    float value = (float)((random.NextDouble() * 2) - 1);
                    dense[(i * columns) + j] = value;
                    indices.Add(j);
                    values.Add(value);
                }
            }

            starts[i + 1] = indices.Count;
        }

        return (new SparseRows(columns, rows, starts, [.. indices], [.. values]), dense);
    }

    private static Tensor<float> Parameter(int[] shape, int seed)
    {
        var random = new Random(seed);
        var values = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var tensor = Tensor.Wrap(values, shape);
        tensor.RequiresGrad = true;
        return tensor;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(64)]
    public void TheSparseProductAndItsGradientsEqualTheDenseOnes(int outputs)
    {
        (SparseRows sparse, float[] dense) = RandomRows(9, 30, seed: outputs);
        int[] weightShape = outputs == 1 ? [30] : [30, outputs];
        Tensor<float> weight = Parameter(weightShape, 1), bias = Parameter([outputs], 2);
        Tensor<float> weightCopy = Parameter(weightShape, 1), biasCopy = Parameter([outputs], 2);
        Tensor<float> upstream = Parameter(outputs == 1 ? [9] : [9, outputs], 3);
        upstream.RequiresGrad = false;

        Tensor<float> fromSparse = Functional.SparseLinear(sparse, weight, bias);
        Tensor<float> fromDense = Functional.Linear(Tensor.Wrap(dense, [9, 30]), weightCopy, biasCopy);
        Assert.Equal(fromDense.Shape.ToArray(), fromSparse.Shape.ToArray());
        AssertClose(fromDense.Data, fromSparse.Data, 1e-5f);

        (fromSparse * upstream).Sum().Backward();
        (fromDense * upstream).Sum().Backward();
        AssertClose(weightCopy.Grad!.Data, weight.Grad!.Data, 1e-5f);
        AssertClose(biasCopy.Grad!.Data, bias.Grad!.Data, 1e-5f);

        // Only the columns that appear were touched, and zeroing clears exactly them.
        int[] present = [.. Enumerable.Range(0, 30).Where(j => Enumerable.Range(0, 9).Any(i => dense[(i * 30) + j] != 0f))];
        Assert.Equal(present, weight.GradientRows!.Rows.ToArray().Order());
        weight.ZeroGrad();
        Assert.All(weight.Grad!.ToArray(), value => Assert.Equal(0f, value));
        Assert.Empty(weight.GradientRows!.Rows.ToArray());
    }

    [Fact]
    public void AShapeThatDoesNotFitTheSparseRowsIsNamed()
    {
        (SparseRows sparse, _) = RandomRows(3, 10, seed: 1);
        var error = Assert.Throws<ArgumentException>(() => Functional.SparseLinear(sparse, Parameter([11, 2], 1), Parameter([2], 2)));
        Assert.Contains("[11, 2]", error.Message);
        Assert.Contains("10 columns", error.Message);
    }

    /// <summary>Trains the same weights by the row form and by the reference in double, over batches that touch different rows.</summary>
    private static void AssertRowStepsFollowTheReference(Func<Tensor<float>[], Optimizer> create, Action<double[], double[]> reference, float tolerance, int outputs = 3)
    {
        const int Columns = 40;
        Tensor<float> weight = outputs == 1 ? Parameter([Columns], 5) : Parameter([Columns, outputs], 5);
        Tensor<float> bias = Parameter([outputs], 6);
        double[] expected = [.. weight.ToArray().Select(v => (double)v)];
        Optimizer optimizer = create([weight, bias]);
        for (int step = 0; step < 12; step++)
        {
            (SparseRows sparse, float[] dense) = RandomRows(4, Columns, seed: 100 + step);
            optimizer.ZeroGrad();
            Functional.SparseLinear(sparse, weight, bias).Square().Sum().Backward();

            // The reference's gradient: the dense gradient of the same loss at the reference's current weights (the row
            // form must have caught the rows it read up with whatever it owed them; the others must match after a catch-up).
            double[] gradient = DenseGradient(dense, 4, Columns, outputs, expected, [.. bias.ToArray().Select(v => (double)v)]);
            reference(expected, gradient);
            optimizer.Step();
        }

        optimizer.CatchUp();
        float[] actual = weight.ToArray();
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"element {i}: {actual[i]} against {expected[i]}");
        }
    }

    /// <summary>The gradient of sum((X W + b)^2) with respect to W, in double.</summary>
    private static double[] DenseGradient(float[] x, int n, int d, int k, double[] w, double[] b)
    {
        var gradient = new double[d * k];
        for (int i = 0; i < n; i++)
        {
            for (int o = 0; o < k; o++)
            {
                double y = b[o];
                for (int j = 0; j < d; j++)
                {
                    y += x[(i * d) + j] * w[(j * k) + o];
                }

                for (int j = 0; j < d; j++)
                {
                    gradient[(j * k) + o] += 2 * y * x[(i * d) + j];
                }
            }
        }

        return gradient;
    }

    [Fact]
    public void SgdWithWeightDecayOnSparseRowsEqualsTheDenseStepOnceTheOwedDecayIsPaid()
    {
        // The bias takes its own dense step; the reference follows the weight alone (the bias's gradient does not depend on it).
        AssertRowStepsFollowTheReference(
            parameters => new SgdOptimizer([new ParameterGroup([parameters[0]], weightDecay: 0.3f), new ParameterGroup([parameters[1]], weightDecay: 0f)], learningRate: 0.01f),
            ReferenceOptimizers.Sgd(0.01, weightDecay: 0.3),
            2e-4f);
    }

    [Fact]
    public void SgdWithWeightDecayOnTheRowsOfALinearModelEqualsTheDenseStep()
    {
        // One value a row (a linear model's weight [d]), which the step updates without a call per row.
        AssertRowStepsFollowTheReference(
            parameters => new SgdOptimizer([new ParameterGroup([parameters[0]], weightDecay: 0.3f), new ParameterGroup([parameters[1]], weightDecay: 0f)], learningRate: 0.01f),
            ReferenceOptimizers.Sgd(0.01, weightDecay: 0.3),
            2e-4f,
            outputs: 1);
    }

    [Fact]
    public void SgdWhoseOwedDecayFallsBelowOneMillionthRescalesTheRowsAndStillEqualsTheDenseStep()
    {
        // 1 - lr wd = 0.25 a step: after 10 of the 12 steps the owed factor is below 1e-6, and the stored values are rescaled
        // at once (the untouched rows' weights shrink towards 0 as the dense step shrinks them).
        AssertRowStepsFollowTheReference(
            parameters => new SgdOptimizer([new ParameterGroup([parameters[0]], weightDecay: 7.5f), new ParameterGroup([parameters[1]], weightDecay: 0f)], learningRate: 0.1f),
            ReferenceOptimizers.Sgd(0.1, weightDecay: 7.5),
            2e-4f);
    }

    [Fact]
    public void AdagradOnSparseRowsEqualsTheDenseStep()
    {
        AssertRowStepsFollowTheReference(
            parameters => new AdagradOptimizer(parameters, learningRate: 0.05f),
            ReferenceOptimizers.Adagrad(0.05, lrDecay: 0, weightDecay: 0, initialAccumulator: 0, eps: 1e-10),
            2e-4f);
    }

    [Fact]
    public void AdamOnSparseRowsMovesOnlyTheTouchedRowsLikeSparseAdam()
    {
        // PyTorch's SparseAdam box: the step count advances every step; a row's moments and value move only when it has a gradient.
        const double Lr = 0.01, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8;
        double[]? m = null, v = null;
        int t = 0;
        void SparseAdam(double[] theta, double[] gradient)
        {
            m ??= new double[theta.Length];
            v ??= new double[theta.Length];
            t++;
            for (int row = 0; row < theta.Length / 3; row++)
            {
                if (gradient[row * 3] == 0 && gradient[(row * 3) + 1] == 0 && gradient[(row * 3) + 2] == 0)
                {
                    continue;
                }

                for (int i = row * 3; i < (row * 3) + 3; i++)
                {
                    m[i] = (Beta1 * m[i]) + ((1 - Beta1) * gradient[i]);
                    v[i] = (Beta2 * v[i]) + ((1 - Beta2) * gradient[i] * gradient[i]);
                    double mHat = m[i] / (1 - Math.Pow(Beta1, t));
                    double vHat = v[i] / (1 - Math.Pow(Beta2, t));
                    theta[i] -= Lr * mHat / (Math.Sqrt(vHat) + Eps);
                }
            }
        }

        AssertRowStepsFollowTheReference(parameters => new AdamOptimizer(parameters, learningRate: (float)Lr), SparseAdam, 2e-4f);
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1f, Math.Abs(expected[i])), $"element {i}: {actual[i]} against {expected[i]}");
        }
    }
}
