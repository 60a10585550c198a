namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Samples.Classify;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using BinaryOptions = GdTrainer.MLNet.GradientDescentBinaryTrainer.Options;
using MulticlassOptions = GdTrainer.MLNet.GradientDescentMulticlassTrainer.Options;

/// <summary>
/// The linear classifiers' default L2 rule (<see cref="DefaultRegularization"/>): λ = 1 / n on the mean loss, indicator columns
/// penalised per unit and the others per standard deviation, checked against the penalised optimum solved independently in double.
/// </summary>
public sealed class DefaultRegularizationTests
{
    private const int Rows = 80;

    private readonly MLContext _mlContext = new(seed: 1);

    [Fact]
    public void TheBinaryDefaultIsTheLogisticOptimumWithOneOverNPerStandardDeviationAndPerUnitOnAnIndicator()
    {
        (double[][] x, double[] y) = BinaryProblem(Rows, seed: 3);
        double lambda = 1.0 / Rows;
        double[] units = PenaltyUnits(x, indicator: 2);
        double[] optimum = LogisticOptimum(x, y, lambda, units);
        double[] unpenalised = LogisticOptimum(x, y, 0, units);
        double[] everyColumnPerDeviation = LogisticOptimum(x, y, lambda, PenaltyUnits(x, indicator: -1));

        // A tight tolerance shows the objective itself; the default tolerance (1e-4) only stops sooner (checked below).
        double[] trained = TrainBinary(x, y, new BinaryOptions { ConvergenceTolerance = 0f, NumberOfEpochs = 3000 });
        double[] trainedWithDefaults = TrainBinary(x, y, new BinaryOptions());

        AssertClose(optimum, trained, 2e-3);
        AssertClose(optimum, trainedWithDefaults, 3e-2);

        // The rule must matter for this check to mean anything: the unpenalised fit and a per-deviation penalty on the
        // indicator are both further from the trained weights than the tolerance.
        Assert.True(MaxRelativeGap(unpenalised, optimum) > 0.1, $"the penalty moves the optimum by only {MaxRelativeGap(unpenalised, optimum):G3}");
        Assert.True(MaxRelativeGap(everyColumnPerDeviation, optimum) > 0.05, $"the indicator's unit moves the optimum by only {MaxRelativeGap(everyColumnPerDeviation, optimum):G3}");
    }

    [Fact]
    public void AnExplicitL2KeepsThePerDeviationPenaltyOnEveryColumnAndZeroTurnsItOff()
    {
        (double[][] x, double[] y) = BinaryProblem(Rows, seed: 4);
        double[] perDeviation = PenaltyUnits(x, indicator: -1);

        double[] withExplicit = TrainBinary(x, y, new BinaryOptions { L2Regularization = 0.05f, ConvergenceTolerance = 0f, NumberOfEpochs = 3000 });
        AssertClose(LogisticOptimum(x, y, 0.05, perDeviation), withExplicit, 2e-3);

        double[] withZero = TrainBinary(x, y, new BinaryOptions { L2Regularization = 0f, ConvergenceTolerance = 0f, NumberOfEpochs = 3000 });
        AssertClose(LogisticOptimum(x, y, 0, perDeviation), withZero, 2e-3);
    }

    [Fact]
    public void TheMulticlassDefaultGivesTheProbabilitiesOfThePenalisedSoftmaxOptimum()
    {
        const int classes = 3;
        var random = new Random(8);
        int n = 90;
        var x = new double[n][];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int c = random.Next(classes);
            double indicator = random.NextDouble() < (c == 2 ? 0.7 : 0.2) ? 1 : 0;
            x[i] = [(2.5 * Gaussian(random)) + (1.2 * c) + 4, (0.4 * Gaussian(random)) - (0.3 * c), indicator];
            labels[i] = c;
        }

        double[,] expected = SoftmaxOptimumProbabilities(x, labels, classes, 1.0 / n, PenaltyUnits(x, indicator: 2));
        var rows = x.Select((row, i) => new MulticlassRow { Features = ToFloats(row), Label = $"class{labels[i]}" }).ToList();
        IDataView data = _mlContext.Data.LoadFromEnumerable(rows);
        var pipeline = _mlContext.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(_mlContext.MulticlassClassification.Trainers.GradientDescent(new MulticlassOptions { ConvergenceTolerance = 0f, NumberOfEpochs = 3000 }));
        IDataView scored = pipeline.Fit(data).Transform(data);
        float[][] probabilities = [.. scored.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray())];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < classes; c++)
            {
                Assert.True(Math.Abs(expected[i, c] - probabilities[i][c]) < 2e-3, $"row {i}, class {c}: {probabilities[i][c]} against the optimum's {expected[i, c]:G6}");
            }
        }
    }

    [Fact]
    public void TheCoefficientIsOneOverTheRowsLeftAfterTheValidationHoldOut()
    {
        Assert.Equal("0.005", ResolvedL2(new BinaryOptions()));
        Assert.Equal("0.00667", ResolvedL2(new BinaryOptions { ValidationFraction = 0.25f }));   // 150 of 200 rows train
        Assert.Equal("0", ResolvedL2(new BinaryOptions { HiddenLayers = [4] }));                // the rule is the linear model's
        Assert.Equal("0.02", ResolvedL2(new BinaryOptions { L2Regularization = 0.02f }));
        Assert.Equal(1f / 200, DefaultRegularization.LinearClassifierL2(200));
        Assert.Throws<ArgumentOutOfRangeException>(() => DefaultRegularization.LinearClassifierL2(0));
    }

    [Theory]
    [InlineData(new float[] { 0, 1, 1, 0, 0 }, true)]
    [InlineData(new float[] { 0, 1, 0.5f, 0, 1 }, false)]   // a third value inside [0, 1]
    [InlineData(new float[] { 0, 2, 2, 0, 0 }, false)]      // two values, but not 0 and 1
    [InlineData(new float[] { 1, 1, 1 }, false)]            // constant
    [InlineData(new float[] { 0, 0.99f, 1, 0 }, false)]
    public void AnIndicatorIsAColumnOfZerosAndOnes(float[] values, bool expected)
    {
        double mean = values.Average(v => (double)v);
        double variance = values.Average(v => (v - mean) * (v - mean));
        Assert.Equal(expected, DefaultRegularization.IsIndicator(mean, variance, values.Min(), values.Max()));
    }

    [Fact]
    public void OnAWellSpecifiedLogisticModelTheDefaultProbabilitiesAreCalibrated()
    {
        // 3,000 training rows drawn from P(true | x) = sigmoid(2 x0 - x1 + 0.5 x2 + 0.3); 20,000 fresh rows to measure on.
        IDataView train = ClassificationData.Binary(_mlContext, 3000, seed: 11);
        IDataView test = ClassificationData.Binary(_mlContext, 20000, seed: 12);
        var model = _mlContext.BinaryClassification.Trainers.GradientDescent().Fit(train);
        IDataView scored = model.Transform(test);
        double[] probabilities = [.. scored.GetColumn<float>("Probability").Select(p => (double)p)];
        bool[] labels = [.. scored.GetColumn<bool>("Label")];
        double[] truth = [.. scored.GetColumn<float[]>("Features").Select(ClassificationData.BinaryTrueProbability)];

        double ours = CalibrationError.Binary(probabilities, labels);
        double generating = CalibrationError.Binary(truth, labels);
        Assert.True(ours < generating + 0.01, $"ECE {ours:G3}, the generating model's {generating:G3} on the same rows");
        Assert.True(ours < 0.02, $"ECE {ours:G3}");
        Assert.True(LogLoss(probabilities, labels) < 1.005 * LogLoss(truth, labels), $"log-loss {LogLoss(probabilities, labels):G5} against the generating model's {LogLoss(truth, labels):G5}");
    }

    private string ResolvedL2(BinaryOptions options)
    {
        var logger = new CapturingLogger();
        options.Logger = logger;
        options.NumberOfEpochs = 1;
        _mlContext.BinaryClassification.Trainers.GradientDescent(options).Fit(ClassificationData.Binary(_mlContext, 200, seed: 6));
        string line = logger.Events.Single(e => e.EventId.Id == 7).Message;
        int start = line.IndexOf("L2Regularization ", StringComparison.Ordinal) + "L2Regularization ".Length;
        return line[start..line.IndexOf(',', start)];
    }

    /// <summary>Rows of two continuous features on unequal scales and an indicator (column 2), labels from a logistic model.</summary>
    private static (double[][] X, double[] Y) BinaryProblem(int rows, int seed)
    {
        var random = new Random(seed);
        var x = new double[rows][];
        var y = new double[rows];
        for (int i = 0; i < rows; i++)
        {
            double z0 = Gaussian(random), z1 = Gaussian(random);
            double indicator = random.NextDouble() < 0.25 ? 1 : 0;
            x[i] = [(3 * z0) + 5, 0.5 * z1, indicator];
            double logit = (1.6 * z0) - (1.1 * z1) + (1.5 * indicator) - 0.2;
            y[i] = random.NextDouble() < 1 / (1 + Math.Exp(-logit)) ? 1 : 0;
        }

        return (x, y);
    }

    /// <summary>Trains the binary trainer on the rows and returns its raw-feature weights and bias, as [w0, ..., w(d-1), b].</summary>
    private double[] TrainBinary(double[][] x, double[] y, BinaryOptions options)
    {
        var rows = x.Select((row, i) => new BinaryRow { Features = ToFloats(row), Label = y[i] > 0.5 }).ToList();
        GradientDescentBinaryTransformer model = _mlContext.BinaryClassification.Trainers.GradientDescent(options).Fit(_mlContext.Data.LoadFromEnumerable(rows));
        var layer = model.Model.Layers.Single();
        return [.. layer.Weights.ToArray().Select(v => (double)v), layer.Bias.Span[0]];
    }

    /// <summary>Each column's penalty unit: its population standard deviation, or 1 for the column <paramref name="indicator"/> (-1: none).</summary>
    private static double[] PenaltyUnits(double[][] x, int indicator)
    {
        int d = x[0].Length;
        var units = new double[d];
        for (int j = 0; j < d; j++)
        {
            double mean = x.Average(row => row[j]);
            units[j] = j == indicator ? 1 : Math.Sqrt(x.Average(row => (row[j] - mean) * (row[j] - mean)));
        }

        return units;
    }

    /// <summary>
    /// Newton's method in double on mean BCE + (λ / 2) Σ_j (w_j u_j)² over the raw features (bias unpenalised); returns
    /// [w0, ..., w(d-1), b] once the gradient's largest entry is below 1e-13.
    /// </summary>
    private static double[] LogisticOptimum(double[][] x, double[] y, double lambda, double[] units)
    {
        int n = x.Length, d = x[0].Length, p = d + 1;
        var theta = new double[p];
        for (int iteration = 0; iteration < 100; iteration++)
        {
            var gradient = new double[p];
            var hessian = new double[p, p];
            for (int i = 0; i < n; i++)
            {
                double[] a = [.. x[i], 1];
                double z = 0;
                for (int k = 0; k < p; k++)
                {
                    z += theta[k] * a[k];
                }

                double probability = 1 / (1 + Math.Exp(-z));
                for (int k = 0; k < p; k++)
                {
                    gradient[k] += (probability - y[i]) * a[k] / n;
                    for (int m = 0; m < p; m++)
                    {
                        hessian[k, m] += probability * (1 - probability) * a[k] * a[m] / n;
                    }
                }
            }

            for (int j = 0; j < d; j++)
            {
                gradient[j] += lambda * units[j] * units[j] * theta[j];
                hessian[j, j] += lambda * units[j] * units[j];
            }

            if (gradient.Max(Math.Abs) < 1e-13)
            {
                return theta;
            }

            double[] step = Solve(hessian, gradient);
            for (int k = 0; k < p; k++)
            {
                theta[k] -= step[k];
            }
        }

        return theta;
    }

    /// <summary>
    /// Full-batch gradient descent in double on mean softmax cross-entropy + (λ / 2) Σ_j u_j² Σ_c W_jc² (biases unpenalised),
    /// run until the gradient's largest entry is below 1e-11; returns the optimum's class probabilities per row (they are
    /// unique even though the biases are determined only up to a common shift).
    /// </summary>
    private static double[,] SoftmaxOptimumProbabilities(double[][] x, int[] labels, int classes, double lambda, double[] units)
    {
        int n = x.Length, d = x[0].Length;
        double[] means = [.. Enumerable.Range(0, d).Select(j => x.Average(row => row[j]))];
        double[] scales = [.. Enumerable.Range(0, d).Select(j => Math.Sqrt(x.Average(row => (row[j] - means[j]) * (row[j] - means[j]))))];

        // Solved on standardised features (well conditioned) with the penalty translated to them: W_raw = W_std / scale.
        var weights = new double[d, classes];
        var biases = new double[classes];
        var probabilities = new double[n, classes];
        for (int iteration = 0; iteration < 200_000; iteration++)
        {
            var gradientW = new double[d, classes];
            var gradientB = new double[classes];
            for (int i = 0; i < n; i++)
            {
                double[] s = [.. Enumerable.Range(0, d).Select(j => (x[i][j] - means[j]) / scales[j])];
                var logits = new double[classes];
                for (int c = 0; c < classes; c++)
                {
                    logits[c] = biases[c];
                    for (int j = 0; j < d; j++)
                    {
                        logits[c] += weights[j, c] * s[j];
                    }
                }

                double max = logits.Max();
                double sum = logits.Sum(v => Math.Exp(v - max));
                for (int c = 0; c < classes; c++)
                {
                    probabilities[i, c] = Math.Exp(logits[c] - max) / sum;
                    double residual = probabilities[i, c] - (labels[i] == c ? 1 : 0);
                    gradientB[c] += residual / n;
                    for (int j = 0; j < d; j++)
                    {
                        gradientW[j, c] += residual * s[j] / n;
                    }
                }
            }

            double largest = gradientB.Max(Math.Abs);
            for (int j = 0; j < d; j++)
            {
                double penalty = lambda * units[j] * units[j] / (scales[j] * scales[j]);
                for (int c = 0; c < classes; c++)
                {
                    gradientW[j, c] += penalty * weights[j, c];
                    largest = Math.Max(largest, Math.Abs(gradientW[j, c]));
                }
            }

            if (largest < 1e-11)
            {
                return probabilities;
            }

            for (int c = 0; c < classes; c++)
            {
                biases[c] -= 1.0 * gradientB[c];
                for (int j = 0; j < d; j++)
                {
                    weights[j, c] -= 1.0 * gradientW[j, c];
                }
            }
        }

        throw new InvalidOperationException("The reference solver did not converge.");
    }

    private static double[] Solve(double[,] a, double[] b)
    {
        int n = b.Length;
        var m = (double[,])a.Clone();
        var v = (double[])b.Clone();
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int row = col + 1; row < n; row++)
            {
                if (Math.Abs(m[row, col]) > Math.Abs(m[pivot, col]))
                {
                    pivot = row;
                }
            }

            for (int k = 0; k < n; k++)
            {
                (m[col, k], m[pivot, k]) = (m[pivot, k], m[col, k]);
            }

            (v[col], v[pivot]) = (v[pivot], v[col]);
            for (int row = 0; row < n; row++)
            {
                if (row != col)
                {
                    double factor = m[row, col] / m[col, col];
                    for (int k = col; k < n; k++)
                    {
                        m[row, k] -= factor * m[col, k];
                    }

                    v[row] -= factor * v[col];
                }
            }
        }

        return [.. Enumerable.Range(0, n).Select(i => v[i] / m[i, i])];
    }

    private static void AssertClose(double[] expected, double[] actual, double relative)
    {
        double gap = MaxRelativeGap(expected, actual);
        Assert.True(gap < relative, $"largest gap {gap:G3} relative to the largest coefficient (allowed {relative:G3}): expected [{string.Join(", ", expected.Select(v => v.ToString("G5")))}], got [{string.Join(", ", actual.Select(v => v.ToString("G5")))}]");
    }

    /// <summary>The largest coefficient difference relative to the largest coefficient magnitude of <paramref name="reference"/>.</summary>
    private static double MaxRelativeGap(double[] reference, double[] other) =>
        reference.Zip(other, (a, b) => Math.Abs(a - b)).Max() / reference.Max(Math.Abs);

    private static double LogLoss(double[] probabilities, bool[] labels) =>
        -probabilities.Zip(labels, (p, y) => Math.Log(y ? p : 1 - p)).Average();

    private static float[] ToFloats(double[] row) => [.. row.Select(v => (float)v)];

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private sealed class BinaryRow
    {
        [VectorType(3)]
        public float[] Features = [];

        public bool Label;
    }

    private sealed class MulticlassRow
    {
        [VectorType(3)]
        public float[] Features = [];

        public string Label = string.Empty;
    }
}
