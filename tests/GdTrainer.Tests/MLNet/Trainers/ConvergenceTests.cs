namespace GdTrainer.Tests.MLNet;

using GdTrainer.Autograd;
using GdTrainer.MLNet;
using GdTrainer.Optimizers;
using GdTrainer.Samples.Seed;
using GdTrainer.Training;
using Microsoft.ML;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// Training reaches the optimum of its documented objective (the weighted mean squared error, plus the
/// ridge term) for every batch size, with default options and no normaliser, and runs are reproducible.
/// The references are closed-form least-squares solutions computed in double, independently of the library.
/// </summary>
public sealed class ConvergenceTests
{
    private static GradientDescentRegressionTransformer Fit(RegressionData data, Options options, MLContext? mlContext = null)
    {
        mlContext ??= new MLContext(seed: 0);
        return mlContext.Regression.Trainers.GradientDescent(options).Fit(data.ToDataView(mlContext));
    }

    private static void AssertRelativelyClose(double expected, double actual, double relative, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected), $"{what}: {actual} differs from the closed form {expected} by more than {relative:G2} relative");

    /// <summary>y = 2x + 1 + noise, one feature.</summary>
    private static RegressionData Line(int rows, int seed) => RegressionData.Generate(rows, [2f], 1f, 0.5f, seed);

    [Theory]
    [InlineData(257, 256, 1)] // The last batch holds a single row.
    [InlineData(257, 256, 2)]
    [InlineData(257, 256, 3)]
    public void APartialLastBatchStillReachesTheLeastSquaresSolution(int rows, int batchSize, int seed)
    {
        RegressionData data = Line(rows, seed);
        var model = Fit(data, new Options { BatchSize = batchSize, Seed = seed });

        (double[] weights, double bias) = LeastSquares.Solve(data.Features, data.Labels);
        AssertRelativelyClose(weights[0], model.Weights[0], 1e-4, "weight");
        AssertRelativelyClose(bias, model.Bias, 1e-4, "bias");
    }

    [Theory]
    [InlineData(202)] // 413 = 2 x 202 + 9
    [InlineData(256)]
    [InlineData(100)]
    [InlineData(412)] // A last batch of 1 row.
    public void EveryBatchSizeReachesTheClosedFormOnSeveralFeatures(int batchSize)
    {
        RegressionData data = RegressionData.Generate(413, [2f, -1.5f, 0.5f, 3f], 0.75f, 0.8f, seed: 4);
        var model = Fit(data, new Options { BatchSize = batchSize });

        (double[] weights, double bias) = LeastSquares.Solve(data.Features, data.Labels);
        for (int j = 0; j < weights.Length; j++)
        {
            AssertRelativelyClose(weights[j], model.Weights[j], 1e-4, $"weight {j}");
        }

        AssertRelativelyClose(bias, model.Bias, 1e-4, "bias");
    }

    [Theory]
    [InlineData(202)]
    [InlineData(412)]
    public void ExampleWeightsWithAPartialLastBatchGiveTheWeightedSolution(int batchSize)
    {
        RegressionData data = RegressionData.Generate(413, [2f, -1.5f, 0.5f], 0.75f, 0.8f, seed: 6);
        var model = Fit(data, new Options { BatchSize = batchSize, ExampleWeightColumnName = nameof(RegressionData.Row.Weight) });

        (double[] weights, double bias) = LeastSquares.Solve(data.Features, data.Labels, data.Weights);
        for (int j = 0; j < weights.Length; j++)
        {
            AssertRelativelyClose(weights[j], model.Weights[j], 1e-4, $"weight {j}");
        }

        AssertRelativelyClose(bias, model.Bias, 1e-4, "bias");
    }

    [Fact]
    public void RidgeWithAPartialLastBatchGivesTheRidgeSolution()
    {
        RegressionData data = RegressionData.Generate(413, [2f, -1.5f, 0.5f], 0.75f, 0.8f, seed: 8);
        const float lambda = 0.3f;
        var model = Fit(data, new Options { BatchSize = 202, L2Regularization = lambda, FeatureStandardization = FeatureStandardization.Center });

        // mean(r^2) + (lambda / 2) |w|^2 on the raw weights: (X^T X + (lambda n / 2) I) w = X^T (y - b).
        (double[] weights, double bias) = LeastSquares.Solve(data.Features, data.Labels, ridge: lambda * data.Rows / 2.0);
        for (int j = 0; j < weights.Length; j++)
        {
            AssertRelativelyClose(weights[j], model.Weights[j], 1e-4, $"weight {j}");
        }

        AssertRelativelyClose(bias, model.Bias, 1e-4, "bias");
    }

    /// <summary>
    /// Raw features on very different scales, with large offsets and strong correlations (condition number in the
    /// thousands before standardisation), and a label far from zero: what a user's concatenated columns look like.
    /// </summary>
    private static (RegressionData Train, RegressionData Test) IllConditioned(int trainRows, int testRows, int seed)
    {
        var random = new Random(seed);
        float[] scales = [0.01f, 1f, 30f, 1000f, 5f, 0.2f];
        float[] offsets = [0.5f, -20f, 400f, 20000f, 3f, 0f];
        float[] truth = [120f, 2f, -0.05f, 0.002f, 1.5f, -8f];
        RegressionData Make(int rows)
        {
            var features = new float[rows][];
            var labels = new float[rows];
            for (int i = 0; i < rows; i++)
            {
                double shared = Gaussian(random);
                features[i] = new float[scales.Length];
                double label = 380;
                for (int j = 0; j < scales.Length; j++)
                {
                    double standard = (0.9 * shared) + (0.45 * Gaussian(random)); // Correlated around a shared factor.
                    features[i][j] = (float)(offsets[j] + (scales[j] * standard));
                    label += truth[j] * scales[j] * standard * 10;
                }

                labels[i] = (float)(label + (4 * Gaussian(random)));
            }

            return RegressionData.FromArrays(features, labels);
        }

        return (Make(trainRows), Make(testRows));
    }

    /// <summary>Emulates ML.NET's NormalizeMeanVariance fitted on <paramref name="train"/>: scale only (fixZero) or centre and scale.</summary>
    private static RegressionData Normalize(RegressionData data, RegressionData train, bool fixZero)
    {
        int d = train.FeatureCount;
        var mean = new double[d];
        var variance = new double[d];
        for (int j = 0; j < d; j++)
        {
            mean[j] = train.Features.Average(row => (double)row[j]);
            variance[j] = train.Features.Average(row => (row[j] - mean[j]) * (row[j] - mean[j]));
        }

        float[][] rows = data.Features.Select(row => row.Select((x, j) =>
            (float)((fixZero ? x : x - mean[j]) / Math.Sqrt(fixZero ? variance[j] + (mean[j] * mean[j]) : variance[j]))).ToArray()).ToArray();
        return RegressionData.FromArrays(rows, data.Labels);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("fixZero")]
    [InlineData("meanVariance")]
    public void DefaultsReachTheOptimumOnIllConditionedRawFeatures(string normaliser)
    {
        (RegressionData rawTrain, RegressionData rawTest) = IllConditioned(400, 400, seed: 12);
        (RegressionData train, RegressionData test) = normaliser switch
        {
            "none" => (rawTrain, rawTest),
            _ => (Normalize(rawTrain, rawTrain, normaliser == "fixZero"), Normalize(rawTest, rawTrain, normaliser == "fixZero")),
        };

        var model = Fit(train, new Options());

        (double[] weights, double bias) = LeastSquares.Solve(train.Features, train.Labels);
        double optimum = MeanSquaredError(train, weights, bias);
        double trained = MeanSquaredError(train, model.Weights.Select(w => (double)w).ToArray(), model.Bias);
        Assert.True(trained <= optimum * 1.001, $"training MSE {trained} is more than 0.1% above the optimum {optimum}");
        Assert.Equal(RSquared(test, weights, bias), RSquared(test, model.Weights.Select(w => (double)w).ToArray(), model.Bias), 0.002);
        Assert.Equal(TrainingStopReason.Converged, model.Model.StopReason);
    }

    [Fact]
    public void DefaultsReachTheOptimumWithOneHotColumnsAndHeavyTails()
    {
        // A one-hot group with a category in 1 of 2,000 rows (every column kept, so the group is collinear with the
        // bias, as ML.NET's OneHotEncoding does), a log-normal feature and a Gaussian one.
        var random = new Random(21);
        float[] categoryShare = [0.6f, 0.3f, 0.0995f, 0.0005f];
        float[] categoryEffect = [0f, 3f, -2f, 15f];
        const int rows = 20_000;
        var features = new float[rows][];
        var labels = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            double draw = random.NextDouble();
            int category = 0;
            for (double cumulative = categoryShare[0]; draw > cumulative && category < 3; cumulative += categoryShare[++category])
            {
            }

            double distance = Math.Exp(Gaussian(random));
            double gaussian = Gaussian(random);
            features[i] = [category == 0 ? 1 : 0, category == 1 ? 1 : 0, category == 2 ? 1 : 0, category == 3 ? 1 : 0, (float)distance, (float)gaussian];
            labels[i] = (float)(5 + categoryEffect[category] + (2.5 * distance) + (0.7 * gaussian) + Gaussian(random));
        }

        RegressionData data = RegressionData.FromArrays(features, labels);
        var model = Fit(data, new Options());

        // The tiny ridge picks one of the equally good solutions of the collinear system.
        (double[] weights, double bias) = LeastSquares.Solve(data.Features, data.Labels, ridge: 1e-6);
        double optimum = MeanSquaredError(data, weights, bias);
        double trained = MeanSquaredError(data, model.Weights.Select(w => (double)w).ToArray(), model.Bias);
        Assert.True(trained <= optimum * 1.001, $"training MSE {trained} is more than 0.1% above the optimum {optimum}");
    }

    [Fact]
    public void TheSeedProblemThroughMLNetLandsOnTheClosedForm()
    {
        (float[] x, float[] y) = SeedData();
        var model = Fit(RegressionData.FromArrays(x.Select(v => new[] { v }).ToArray(), y), new Options());

        (double[] weights, double bias) = LeastSquares.Solve(x.Select(v => new[] { v }).ToArray(), y);
        Assert.Equal(3.0, weights[0], 1e-4); // The data are exact: y = 3x + 0.8.
        Assert.Equal(weights[0], model.Weights[0], 0.005);
        Assert.Equal(bias, model.Bias, 0.005);
    }

    [Fact]
    public void WithTheSeedSettingsTheTrainerFollowsTheEngineLoopStepForStep()
    {
        (float[] x, float[] y) = SeedData();
        var model = Fit(RegressionData.FromArrays(x.Select(v => new[] { v }).ToArray(), y), new Options
        {
            LearningRate = 0.01f,
            NumberOfEpochs = 3000,
            LearningRateSchedule = LearningRateSchedule.Constant,
            FeatureStandardization = FeatureStandardization.None,
            Patience = 0,
        });

        // The engine's seed loop (the sample's own step) from the trainer's start: w = 0, b = 0.
        Tensor<float> xs = Tensor.From<float>(x);
        Tensor<float> ys = Tensor.From<float>(y);
        Tensor<float> w = Tensor.Zeros([1], requiresGrad: true);
        Tensor<float> b = Tensor.Zeros([1], requiresGrad: true);
        for (int iteration = 0; iteration < 3000; iteration++)
        {
            SeedRegression.Step(xs, ys, w, b, 0.01f);
        }

        Assert.Equal(w.Item(), model.Weights[0], 1e-4);
        Assert.Equal(b.Item(), model.Bias, 1e-4);
        Assert.Equal(3000, model.Model.EpochsRun);
        Assert.Equal(TrainingStopReason.EpochLimit, model.Model.StopReason);
    }

    [Fact]
    public void TwoFitsThroughTheShortOverloadAreBitIdentical()
    {
        RegressionData data = RegressionData.Generate(3000, [2f, -1.5f, 0.5f], 0.75f, 0.5f, seed: 3);
        GradientDescentRegressionTransformer FitShort()
        {
            var mlContext = new MLContext(seed: 1);
            return mlContext.Regression.Trainers.GradientDescent(batchSize: 64).Fit(data.ToDataView(mlContext));
        }

        var first = FitShort();
        var second = FitShort();
        Assert.Equal(first.Weights, second.Weights);
        Assert.Equal(first.Bias, second.Bias);
        Assert.Equal(first.LossHistory, second.LossHistory);
    }

    [Fact]
    public void TrainingStopsWhenTheLossConvergesAndSaysSo()
    {
        RegressionData data = RegressionData.Generate(2000, [2f, -1.5f, 0.5f], 0.75f, 0.5f, seed: 5);
        var logger = new CapturingLogger();
        var model = Fit(data, new Options { Logger = logger, BatchSize = 64 });

        Assert.Equal(TrainingStopReason.Converged, model.Model.StopReason);
        Assert.True(model.Model.EpochsRun < 1000, $"ran {model.Model.EpochsRun} epochs");
        Assert.Equal(model.Model.EpochsRun, model.LossHistory.Count);
        CapturingLogger.LogEvent stopped = Assert.Single(logger.Events, e => e.EventId.Name == "TrainingStopped");
        Assert.Equal($"converged at epoch {model.Model.EpochsRun}", stopped.State["Reason"]);
        Assert.Equal(model.Model.EpochsRun, stopped.State["EpochsRun"]);

        // The last epoch is logged even when the interval skips it.
        var sparse = new CapturingLogger();
        Fit(data, new Options { Logger = sparse, BatchSize = 64, LossLoggingInterval = 1000 });
        Assert.Equal([1, model.Model.EpochsRun], sparse.Events.Where(e => e.EventId.Id == 2).Select(e => (int)e.State["Epoch"]!));
    }

    [Fact]
    public void PatienceZeroRunsEveryEpoch()
    {
        RegressionData data = RegressionData.Generate(500, [2f, -1.5f], 0.75f, 0.5f, seed: 5);
        var model = Fit(data, new Options { NumberOfEpochs = 40, Patience = 0 });
        Assert.Equal(40, model.Model.EpochsRun);
        Assert.Equal(TrainingStopReason.EpochLimit, model.Model.StopReason);
    }

    [Fact]
    public void AConstantColumnIsLeftAloneAndTheOthersStillReachTheOptimum()
    {
        RegressionData baseData = RegressionData.Generate(300, [2f, -1.5f], 0.75f, 0.5f, seed: 9);
        float[][] withConstant = baseData.Features.Select(row => new[] { row[0], 7f, row[1] }).ToArray();
        var model = Fit(RegressionData.FromArrays(withConstant, baseData.Labels), new Options());

        (double[] weights, double bias) = LeastSquares.Solve(baseData.Features, baseData.Labels);
        Assert.Equal(0f, model.Weights[1]);
        AssertRelativelyClose(weights[0], model.Weights[0], 1e-4, "weight 0");
        AssertRelativelyClose(weights[1], model.Weights[2], 1e-4, "weight 2");
        AssertRelativelyClose(bias, model.Bias, 1e-4, "bias");
    }

    [Fact]
    public void AFiniteButExplodingLossEndsTrainingWithTheDivergenceError()
    {
        // Twice the stable rate on standardised features: the loss grows by orders of magnitude each epoch but stays finite for a while.
        RegressionData data = RegressionData.Generate(400, [2f, -1.5f, 0.5f], 0.75f, 0.5f, seed: 2);
        var error = Assert.Throws<InvalidOperationException>(() =>
            Fit(data, new Options { LearningRate = 1.5f, BatchSize = Options.FullBatch, LearningRateSchedule = LearningRateSchedule.Constant }));
        Assert.Contains("diverged in epoch", error.Message, StringComparison.Ordinal);
        Assert.Contains("grew to", error.Message, StringComparison.Ordinal);
        Assert.Contains("smaller learning rate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnL2PenaltyLargeEnoughToDivergeIsNamedAsTheCause()
    {
        RegressionData data = RegressionData.Generate(400, [2f, -1.5f, 0.5f], 0.75f, 0.5f, seed: 2);
        var error = Assert.Throws<InvalidOperationException>(() =>
            Fit(data, new Options { LearningRate = 0.1f, L2Regularization = 40f, BatchSize = Options.FullBatch, LearningRateSchedule = LearningRateSchedule.Constant }));
        Assert.Contains("The L2 penalty is the cause", error.Message, StringComparison.Ordinal);
        Assert.Contains("L2Regularization", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The seed example's data: 50 points, x uniform on [0, 1) from new Random(42), y = 3x + 0.8.</summary>
    private static (float[] X, float[] Y) SeedData()
    {
        var generator = new Random(42);
        float[] x = Tensor.Rand([50], generator).ToArray();
        return (x, x.Select(v => (3f * v) + 0.8f).ToArray());
    }

    private static double MeanSquaredError(RegressionData data, double[] weights, double bias)
    {
        double sum = 0;
        for (int i = 0; i < data.Rows; i++)
        {
            double prediction = bias;
            for (int j = 0; j < weights.Length; j++)
            {
                prediction += weights[j] * data.Features[i][j];
            }

            sum += (prediction - data.Labels[i]) * (prediction - data.Labels[i]);
        }

        return sum / data.Rows;
    }

    private static double RSquared(RegressionData data, double[] weights, double bias)
    {
        double mean = data.Labels.Average(y => (double)y);
        double total = data.Labels.Sum(y => (y - mean) * (y - mean));
        return 1 - (MeanSquaredError(data, weights, bias) * data.Rows / total);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());
}
