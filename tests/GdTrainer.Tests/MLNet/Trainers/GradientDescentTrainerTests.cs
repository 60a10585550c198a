namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Optimizers;
using GdTrainer.Training;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Data;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

public sealed class GradientDescentTrainerTests
{
    private static readonly float[] s_trueWeights = [2.0f, -1.5f, 0.5f];

    private static RegressionData Data(int rows = 200, float noise = 0.1f, int seed = 1) =>
        RegressionData.Generate(rows, s_trueWeights, 0.75f, noise, seed);

    private static GradientDescentRegressionTransformer Fit(RegressionData data, Options options, MLContext? mlContext = null)
    {
        mlContext ??= new MLContext(seed: 0);
        return mlContext.Regression.Trainers.GradientDescent(options).Fit(data.ToDataView(mlContext));
    }

    [Fact]
    public void FullBatchRecoversTheClosedFormLeastSquaresSolution()
    {
        RegressionData data = Data(noise: 0.5f);
        var model = Fit(data, new Options { BatchSize = Options.FullBatch, NumberOfEpochs = 300, LearningRate = 0.3f, Seed = 1 });

        (double[] expected, double expectedBias) = LeastSquares.Solve(data.Features, data.Labels);
        for (int j = 0; j < expected.Length; j++)
        {
            Assert.Equal(expected[j], model.Weights[j], 1e-4);
        }

        Assert.Equal(expectedBias, model.Bias, 1e-4);
    }

    [Fact]
    public void MiniBatchSgdApproachesTheClosedFormSolution()
    {
        RegressionData data = Data(rows: 400, noise: 0.5f);
        var model = Fit(data, new Options { BatchSize = 16, NumberOfEpochs = 20, LearningRate = 0.02f, Seed = 3 });

        (double[] expected, double expectedBias) = LeastSquares.Solve(data.Features, data.Labels);
        for (int j = 0; j < expected.Length; j++)
        {
            Assert.Equal(expected[j], model.Weights[j], 0.05);
        }

        Assert.Equal(expectedBias, model.Bias, 0.05);
    }

    [Fact]
    public void TheSameSeedGivesABitIdenticalModelAndOtherSeedsDiffer()
    {
        RegressionData data = Data();
        Options Make(int seed) => new() { BatchSize = 8, NumberOfEpochs = 3, Seed = seed };

        var first = Fit(data, Make(11));
        var second = Fit(data, Make(11));
        var other = Fit(data, Make(12));

        Assert.Equal(first.Weights.Select(BitConverter.SingleToInt32Bits), second.Weights.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(BitConverter.SingleToInt32Bits(first.Bias), BitConverter.SingleToInt32Bits(second.Bias));
        Assert.Equal(first.LossHistory, second.LossHistory);
        Assert.NotEqual(first.Weights, other.Weights);
    }

    [Fact]
    public void ANullSeedIsTakenFromTheMLContextSeed()
    {
        RegressionData data = Data();
        var options = new Options { BatchSize = 8, NumberOfEpochs = 2 };
        GradientDescentRegressionTransformer FitWith(int contextSeed)
        {
            var mlContext = new MLContext(seed: contextSeed);
            options.MLContext = mlContext;
            return Fit(data, options, mlContext);
        }

        Assert.Equal(FitWith(5).Weights, FitWith(5).Weights);
        Assert.NotEqual(FitWith(5).Weights, FitWith(6).Weights);
    }

    [Fact]
    public void ExampleWeightsGiveTheWeightedLeastSquaresSolution()
    {
        RegressionData data = Data(noise: 1.0f);
        var model = Fit(data, new Options
        {
            ExampleWeightColumnName = nameof(RegressionData.Row.Weight),
            BatchSize = Options.FullBatch,
            NumberOfEpochs = 300,
            LearningRate = 0.3f,
            FeatureStandardization = FeatureStandardization.Center,
        });

        (double[] weighted, double weightedBias) = LeastSquares.Solve(data.Features, data.Labels, data.Weights);
        (double[] unweighted, _) = LeastSquares.Solve(data.Features, data.Labels);
        for (int j = 0; j < weighted.Length; j++)
        {
            Assert.Equal(weighted[j], model.Weights[j], 1e-4);
        }

        Assert.Equal(weightedBias, model.Bias, 1e-4);
        Assert.True(weighted.Zip(unweighted).Max(p => Math.Abs(p.First - p.Second)) > 1e-2, "the weights should matter for this data");
    }

    [Fact]
    public void L2RegularizationGivesTheRidgeSolutionWithAnUnpenalizedBias()
    {
        RegressionData data = Data(noise: 0.5f);
        const float lambda = 0.4f;
        var model = Fit(data, new Options { L2Regularization = lambda, BatchSize = Options.FullBatch, NumberOfEpochs = 300, LearningRate = 0.3f, FeatureStandardization = FeatureStandardization.Center });

        // Minimising mean(r^2) + (lambda / 2) |w|^2 (raw weights: the features are only centred) gives (X^T X + (lambda n / 2) I) w = X^T (y - b).
        (double[] ridge, double ridgeBias) = LeastSquares.Solve(data.Features, data.Labels, ridge: lambda * data.Rows / 2.0);
        for (int j = 0; j < ridge.Length; j++)
        {
            Assert.Equal(ridge[j], model.Weights[j], 1e-4);
        }

        Assert.Equal(ridgeBias, model.Bias, 1e-4);
        Assert.True(Math.Abs(ridge[0]) < 0.9 * s_trueWeights[0], "the penalty should shrink the weights visibly");
    }

    [Fact]
    public void WeightedL2UsesTheTotalWeightInTheRidgeTerm()
    {
        RegressionData data = Data(noise: 0.5f);
        const float lambda = 0.2f;
        var model = Fit(data, new Options
        {
            L2Regularization = lambda,
            ExampleWeightColumnName = nameof(RegressionData.Row.Weight),
            BatchSize = Options.FullBatch,
            NumberOfEpochs = 300,
            LearningRate = 0.3f,
            FeatureStandardization = FeatureStandardization.Center,
        });

        double totalWeight = data.Weights.Sum(w => (double)w);
        (double[] ridge, double ridgeBias) = LeastSquares.Solve(data.Features, data.Labels, data.Weights, lambda * totalWeight / 2.0);
        for (int j = 0; j < ridge.Length; j++)
        {
            Assert.Equal(ridge[j], model.Weights[j], 1e-4);
        }

        Assert.Equal(ridgeBias, model.Bias, 1e-4);
    }

    [Fact]
    public void LossHistoryHasOneValuePerEpochAndDecreasesOnAnEasyProblem()
    {
        RegressionData data = Data();
        var model = Fit(data, new Options { BatchSize = Options.FullBatch, NumberOfEpochs = 12, LearningRate = 0.1f, Patience = 0 });

        Assert.Equal(12, model.LossHistory.Count);
        Assert.Equal(TrainingStopReason.EpochLimit, model.Model.StopReason);
        for (int i = 1; i < model.LossHistory.Count; i++)
        {
            Assert.True(model.LossHistory[i] < model.LossHistory[i - 1], $"epoch {i + 1}: {model.LossHistory[i]} >= {model.LossHistory[i - 1]}");
        }

        // The first epoch's loss is measured at the start: weights 0 and the bias at the label mean, so it is the labels' variance.
        double mean = data.Labels.Average(y => (double)y);
        double variance = data.Labels.Average(y => (y - mean) * (y - mean));
        Assert.Equal(variance, model.LossHistory[0], variance * 1e-5);
    }

    [Fact]
    public void RowsWithNaNOrInfinityAreSkippedCountedAndLogged()
    {
        RegressionData clean = Data(rows: 50);
        var features = clean.Features.Select(r => (float[])r.Clone()).ToList();
        var labels = clean.Labels.ToList();
        features.Insert(3, [1f, float.NaN, 2f]);
        labels.Insert(3, 1f);
        features.Insert(10, [1f, 1f, 1f]);
        labels.Insert(10, float.NaN);
        features.Insert(20, [float.PositiveInfinity, 1f, 1f]);
        labels.Insert(20, 2f);
        var dirty = RegressionData.FromArrays(features.ToArray(), labels.ToArray());

        var logger = new CapturingLogger();
        var mlContext = new MLContext(seed: 0);
        var messages = new List<string>();
        mlContext.Log += (_, e) => { lock (messages) { messages.Add(e.Message); } };
        Options Make() => new() { BatchSize = Options.FullBatch, NumberOfEpochs = 5, Logger = logger, MLContext = mlContext };

        var fromDirty = Fit(dirty, Make(), mlContext);
        var fromClean = Fit(RegressionData.FromArrays(clean.Features, clean.Labels), Make(), mlContext);

        Assert.Equal(fromClean.Weights, fromDirty.Weights);
        CapturingLogger.LogEvent warning = Assert.Single(logger.Events, e => e.Level == LogLevel.Warning);
        Assert.Equal(3L, warning.State["Skipped"]);
        Assert.Equal(53L, warning.State["Total"]);
        Assert.Contains(messages, m => m.Contains("skipped 3 of 53 rows of the training data", StringComparison.Ordinal));
    }

    [Fact]
    public void NoUsableRowIsAClearError()
    {
        var data = RegressionData.FromArrays([[1f, 2f], [3f, 4f]], [float.NaN, float.PositiveInfinity]);
        var error = Assert.Throws<InvalidOperationException>(() => Fit(data, new Options()));
        Assert.Contains("no usable rows", error.Message, StringComparison.Ordinal);
        Assert.Contains("all 2 rows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DivergenceStopsWithAnErrorNamingTheEpoch()
    {
        RegressionData data = Data();
        var logger = new CapturingLogger();
        var error = Assert.Throws<InvalidOperationException>(() =>
            Fit(data, new Options { LearningRate = 50f, BatchSize = Options.FullBatch, NumberOfEpochs = 100, Logger = logger }));

        // The last epoch logged before the failure is the one before the epoch the message names.
        int lastLogged = logger.Events.Where(e => e.EventId.Id == 2).Max(e => (int)e.State["Epoch"]!);
        Assert.Contains($"diverged in epoch {lastLogged + 1} at learning rate 50:", error.Message, StringComparison.Ordinal);
        Assert.Contains("smaller learning rate", error.Message, StringComparison.Ordinal);
        Assert.Contains("FeatureStandardization", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryLoggedEpochIsOneStructuredEventAndTheFirstAndLastAreAlwaysLogged()
    {
        RegressionData data = Data();
        var logger = new CapturingLogger();
        var model = Fit(data, new Options
        {
            NumberOfEpochs = 7, LossLoggingInterval = 3, BatchSize = 32, Logger = logger, LearningRate = 0.05f, LearningRateSchedule = LearningRateSchedule.Cosine, Patience = 0,
        });

        CapturingLogger.LogEvent[] epochs = logger.Events.Where(e => e.EventId.Id == 2).ToArray();
        Assert.Equal([1, 3, 6, 7], epochs.Select(e => (int)e.State["Epoch"]!));
        TimeSpan previous = TimeSpan.Zero;
        foreach (CapturingLogger.LogEvent e in epochs)
        {
            Assert.Equal(LogLevel.Information, e.Level);
            Assert.Equal("EpochCompleted", e.EventId.Name);
            int epoch = (int)e.State["Epoch"]!;
            Assert.Equal(7, e.State["Epochs"]);
            Assert.Equal(model.LossHistory[epoch - 1], (float)e.State["Loss"]!);
            // Cosine schedule: the logged rate is the one of the epoch's last step.
            const int stepsPerEpoch = (200 + 31) / 32;
            int lastStep = (epoch * stepsPerEpoch) - 1;
            double expectedRate = 0.05 * 0.5 * (1 + Math.Cos(Math.PI * lastStep / (7 * stepsPerEpoch)));
            Assert.Equal(expectedRate, (float)e.State["LearningRate"]!, 1e-6);
            var elapsed = (TimeSpan)e.State["Elapsed"]!;
            Assert.True(elapsed >= previous);
            previous = elapsed;
        }
    }

    [Fact]
    public void AConstantScheduleLogsTheConfiguredRateEveryEpoch()
    {
        var logger = new CapturingLogger();
        Fit(Data(), new Options { NumberOfEpochs = 3, Logger = logger, LearningRate = 0.05f, LearningRateSchedule = LearningRateSchedule.Constant });
        float[] rates = logger.Events.Where(e => e.EventId.Id == 2).Select(e => (float)e.State["LearningRate"]!).ToArray();
        Assert.Equal([0.05f, 0.05f, 0.05f], rates);
    }

    [Fact]
    public void CosineAnnealingSettlesMiniBatchNoiseBetterThanAConstantRate()
    {
        // Noisy labels and a large constant step leave the weights jittering around the optimum;
        // annealing the step to ~0 must land closer to the least-squares solution.
        RegressionData data = Data(rows: 2000, noise: 1f, seed: 5);
        (double[] exactWeights, double exactBias) = LeastSquares.Solve(data.Features, data.Labels);
        var baseOptions = new Options { NumberOfEpochs = 20, BatchSize = 8, LearningRate = 0.1f, Seed = 3 };
        var constant = Fit(data, new Options { NumberOfEpochs = 20, BatchSize = 8, LearningRate = 0.1f, Seed = 3, LearningRateSchedule = LearningRateSchedule.Constant });
        var cosine = Fit(data, baseOptions);

        double cosineDistance = Distance(cosine, exactWeights, exactBias);
        double constantDistance = Distance(constant, exactWeights, exactBias);
        Assert.True(cosineDistance < constantDistance / 3, $"cosine {cosineDistance} vs constant {constantDistance}");

        static double Distance(GradientDescentRegressionTransformer model, double[] weights, double bias)
        {
            double sum = (model.Bias - bias) * (model.Bias - bias);
            for (int j = 0; j < weights.Length; j++)
            {
                sum += (model.Weights[j] - weights[j]) * (model.Weights[j] - weights[j]);
            }

            return Math.Sqrt(sum);
        }
    }

    [Fact]
    public void CenteringReachesTheRawFeatureSolutionWhereUncentredSgdCrawls()
    {
        // Features with offsets of 3 to 5 standard deviations, as NormalizeMeanVariance's default
        // (fixZero) leaves them: the bias and the weights are coupled and plain SGD is slow.
        RegressionData baseData = Data(rows: 1000, seed: 9);
        float[] offsets = [4f, -3f, 5f];
        float[][] shifted = baseData.Features.Select(row => row.Select((value, j) => value + offsets[j]).ToArray()).ToArray();
        RegressionData data = RegressionData.FromArrays(shifted, baseData.Labels);
        (double[] exactWeights, double exactBias) = LeastSquares.Solve(data.Features, data.Labels);

        var centred = Fit(data, new Options { NumberOfEpochs = 5, BatchSize = 10, LearningRate = 0.01f, Seed = 2 });
        var raw = Fit(data, new Options { NumberOfEpochs = 5, BatchSize = 10, LearningRate = 0.01f, Seed = 2, FeatureStandardization = GdTrainer.Training.FeatureStandardization.None, LearningRateSchedule = LearningRateSchedule.Cosine, Patience = 0 });

        // The centred run reports weights and bias for the raw features: its predictions on the raw
        // features match the closed form's, while five epochs of uncentred SGD are still far off.
        double centredGap = PredictionGap(centred);
        double rawGap = PredictionGap(raw);
        Assert.True(centredGap < 0.05, $"centred predictions differ from least squares by {centredGap} (RMS)");
        Assert.True(rawGap > 10 * centredGap, $"uncentred {rawGap} vs centred {centredGap}");

        double PredictionGap(GradientDescentRegressionTransformer model)
        {
            double sum = 0;
            foreach (float[] x in data.Features)
            {
                double exact = exactBias;
                for (int j = 0; j < x.Length; j++)
                {
                    exact += exactWeights[j] * x[j];
                }

                double difference = RegressionData.Predict(x, model.Weights, model.Bias) - exact;
                sum += difference * difference;
            }

            return Math.Sqrt(sum / data.Rows);
        }
    }

    [Fact]
    public void TheLoggerFactoryIsUsedWhenNoLoggerIsGiven()
    {
        var logger = new CapturingLogger();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(new SingleLoggerProvider(logger)));
        Fit(Data(), new Options { NumberOfEpochs = 2, LoggerFactory = factory });
        Assert.Equal(2, logger.Events.Count(e => e.EventId.Id == 2));
    }

    [Fact]
    public void MLContextLogReceivesTheSameEpochLines()
    {
        var mlContext = new MLContext(seed: 0);
        var lines = new List<LoggingEventArgs>();
        mlContext.Log += (_, e) => { lock (lines) { lines.Add(e); } };
        var model = Fit(Data(), new Options { NumberOfEpochs = 5, LossLoggingInterval = 2, MLContext = mlContext, Seed = 1 }, mlContext);

        string[] epochLines = lines.Where(e => e.Source.Contains(nameof(GradientDescentRegressionTrainer), StringComparison.Ordinal) && e.Message.Contains("Epoch ", StringComparison.Ordinal))
            .Select(e => e.Message).ToArray();
        Assert.Equal(4, epochLines.Length); // Epochs 1, 2, 4 and 5.
        foreach ((int epoch, string line) in new[] { 1, 2, 4, 5 }.Zip(epochLines))
        {
            Assert.Contains($"Epoch {epoch}/5: training loss {model.LossHistory[epoch - 1].ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void CancellationStopsTraining()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Fit(Data(), new Options { CancellationToken = cancelled.Token }));

        // Cancelled after two complete epochs ("train until cancelled"): the model trained so far comes back and says why it stopped.
        using var midway = new CancellationTokenSource();
        var logger = new CapturingLogger { OnLog = e => { if (e.EventId.Id == 2 && (int)e.State["Epoch"]! == 2) { midway.Cancel(); } } };
        var model = Fit(Data(), new Options { NumberOfEpochs = int.MaxValue, Patience = 0, Logger = logger, CancellationToken = midway.Token });
        Assert.Equal(2, logger.Events.Where(e => e.EventId.Id == 2).Max(e => (int)e.State["Epoch"]!));
        Assert.Equal(TrainingStopReason.Cancelled, model.Model.StopReason);
        Assert.Equal(2, model.Model.EpochsRun);
        Assert.Contains(logger.Events, e => e.EventId.Id == 4 && ((string)e.State["Reason"]!).Contains("cancelled after epoch 2", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(nameof(Options.LearningRate), "0")]
    [InlineData(nameof(Options.LearningRate), "-0.5")]
    [InlineData(nameof(Options.LearningRate), "NaN")]
    [InlineData(nameof(Options.NumberOfEpochs), "0")]
    [InlineData(nameof(Options.BatchSize), "0")]
    [InlineData(nameof(Options.BatchSize), "-3")]
    [InlineData(nameof(Options.L2Regularization), "-1")]
    [InlineData(nameof(Options.LossLoggingInterval), "0")]
    public void InvalidOptionsFailAtConstructionNamingTheOptionAndValue(string option, string value)
    {
        var options = new Options();
        switch (option)
        {
            case nameof(Options.LearningRate): options.LearningRate = float.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case nameof(Options.NumberOfEpochs): options.NumberOfEpochs = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case nameof(Options.BatchSize): options.BatchSize = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case nameof(Options.L2Regularization): options.L2Regularization = float.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case nameof(Options.LossLoggingInterval): options.LossLoggingInterval = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
        }

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext().Regression.Trainers.GradientDescent(options));
        Assert.Equal(option, error.ParamName);
        Assert.Contains($"but was {value}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSimpleOverloadValidatesItsArguments()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext().Regression.Trainers.GradientDescent(numberOfEpochs: -2));
        Assert.Equal(nameof(Options.NumberOfEpochs), error.ParamName);
        Assert.Throws<ArgumentException>(() => new MLContext().Regression.Trainers.GradientDescent(labelColumnName: ""));
    }

    private sealed class SingleLoggerProvider(ILogger logger) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => logger;

        public void Dispose()
        {
        }
    }
}
