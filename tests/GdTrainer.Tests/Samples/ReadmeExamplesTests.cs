namespace GdTrainer.Tests.Samples;

using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.MLNet;
using GdTrainer.Models;
using GdTrainer.Tests.MLNet;
using GdTrainer.Training;
using Microsoft.Extensions.Logging;
using Microsoft.ML;

/// <summary>
/// Runs the README's trainer examples, copied verbatim between the <c>README:</c> markers (README.md must show each one as is:
/// <see cref="ReadmeVerbatimTests"/>), on small generated data, and checks that they do what the README says.
/// </summary>
public sealed class ReadmeExamplesTests
{
    // README: begin custom loss class
    public sealed class LogCoshLoss : Loss
    {
        public override Tensor<float> Compute(Tensor<float> predictions, Tensor<float> targets, Tensor<float>? weights = null)
        {
            Tensor<float> r = (predictions - targets).Abs();
            Tensor<float> pointwise = r + (-2f * r).Softplus() - MathF.Log(2f);   // log(cosh(r)), stable for any r
            return weights is null ? pointwise.Mean() : (pointwise * weights).Sum() / weights.Sum().Item();
        }
    }
    // README: end custom loss class

    [Fact]
    public void TheCustomLossExampleTrainsARobustLinearModelThroughTheTrainer()
    {
        // y = 2 x1 - 3 x2 + 1 + noise; every 10th row is a gross outlier lifted by 30.
        var mlContext = new MLContext(seed: 1);
        RegressionData clean = RegressionData.Generate(2_000, [2f, -3f], 1f, 0.1f, seed: 5);
        float[] labels = [.. clean.Labels];
        for (int i = 0; i < labels.Length; i += 10)
        {
            labels[i] += 30f;
        }

        IDataView trainData = RegressionData.FromArrays(clean.Features, labels).ToDataView(mlContext);

        // README: begin custom loss use
        var trainer = mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
        {
            Loss = new LogCoshLoss(),            // any Loss subclass; autograd differentiates it
            LearningRate = 0.1f,                 // derived only for the built-in MSE, Huber and L1 losses
        });
        GradientDescentRegressionTransformer model = trainer.Fit(trainData);
        // README: end custom loss use

        GradientDescentRegressionTransformer leastSquares = mlContext.Regression.Trainers.GradientDescent().Fit(trainData);

        // The least-squares bias absorbs the outliers' mean lift (30 x 10% = 3); log-cosh, linear in large residuals, barely moves.
        Assert.InRange(leastSquares.Model.Bias, 3.5f, 4.5f);
        Assert.InRange(model.Model.Bias, 0.9f, 1.3f);
        Assert.InRange(model.Model.Weights[0], 1.9f, 2.1f);
        Assert.InRange(model.Model.Weights[1], -3.1f, -2.9f);
    }

    [Fact]
    public void TheEarlyStoppingExampleStopsAnOverfittingMlpAndRestoresItsBestEpoch()
    {
        // 120 noisy training rows, 8 features of which 1 matters: a [64, 64] MLP learns the noise once it has the signal.
        var mlContext = new MLContext(seed: 1);
        float[] truth = [1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f];
        IDataView trainData = RegressionData.Generate(120, truth, 0f, 1f, seed: 11).ToDataView(mlContext);
        IDataView validationData = RegressionData.Generate(400, truth, 0f, 1f, seed: 12).ToDataView(mlContext);
        // README: begin early stopping
        var trainer = mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
        {
            HiddenLayers = [64, 64],
            NumberOfEpochs = 1000,
            BatchSize = 32,
            EarlyStopping = new EarlyStopping { Patience = 20, MinDelta = 0f, RestoreBestWeights = true },
        });
        GradientDescentRegressionTransformer model = trainer.Fit(trainData, validationData);

        TrainingHistory history = model.Model.History;
        Console.WriteLine(history);   // "early-stopped at epoch 34, best epoch 14 restored"
        foreach (EpochReport epoch in history.Epochs)
        {
            Console.WriteLine($"epoch {epoch.Epoch}: training loss {epoch.TrainingLoss:F4}, validation loss {epoch.ValidationLoss:F4}");
        }
        // README: end early stopping

        Assert.Equal(TrainingStopReason.EarlyStopped, history.StopReason);
        Assert.InRange(history.EpochsRun, 21, 999);
        float[] validation = history.ValidationLosses();
        int best = Array.IndexOf(validation, validation.Min()) + 1;
        Assert.Equal(best, history.RestoredEpoch);
        Assert.Equal(history.EpochsRun, best + 20);

        // The restored model's own validation MSE, measured independently through ML.NET's evaluator, is the history's minimum,
        // and the training loss fell well below it by the end (the MLP was fitting noise).
        double validationMse = mlContext.Regression.Evaluate(model.Transform(validationData)).MeanSquaredError;
        Assert.Equal(validation.Min(), validationMse, 1e-4);
        Assert.True(history.Epochs[^1].TrainingLoss < validation.Min(), $"final training loss {history.Epochs[^1].TrainingLoss} vs best validation {validation.Min()}");
        Assert.Equal($"early-stopped at epoch {history.EpochsRun}, best epoch {best} restored", history.ToString());
    }

    [Fact]
    public void TheValidationFractionExampleHoldsOutRowsAndTheHiddenLayerExampleFitsANonlinearFunction()
    {
        // y = sin(pi x1 x2) * 3 + x3^2 + noise: out of a linear model's reach.
        var mlContext = new MLContext(seed: 1);
        var random = new Random(7);
        var features = new float[3_000][];
        var labels = new float[features.Length];
        for (int i = 0; i < features.Length; i++)
        {
            features[i] = [(float)random.NextDouble(), (float)random.NextDouble(), (float)((random.NextDouble() * 2) - 1)];
            labels[i] = (3f * MathF.Sin(MathF.PI * features[i][0] * features[i][1])) + (features[i][2] * features[i][2]) + (0.1f * (float)((random.NextDouble() * 2) - 1));
        }

        IDataView all = RegressionData.FromArrays(features, labels).ToDataView(mlContext);
        DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(all, 0.2, seed: 1);
        (IDataView trainData, IDataView testData) = (split.TrainSet, split.TestSet);

        // README: begin hidden layers
        var trainer = mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
        {
            HiddenLayers = [64, 64],             // two hidden layers of 64 units; default [] is the linear model
            Activation = Activation.Relu,
            Optimizer = OptimizerSettings.Adam(),
            LearningRate = 1e-3f,
            BatchSize = 32,
            NumberOfEpochs = 500,
            ValidationFraction = 0.3f,           // 30% of the training rows held out for the validation loss
            EarlyStopping = new EarlyStopping { Patience = 30 },
        });
        GradientDescentRegressionTransformer model = trainer.Fit(trainData);
        var metrics = mlContext.Regression.Evaluate(model.Transform(testData));
        // README: end hidden layers

        double linearR2 = mlContext.Regression.Evaluate(mlContext.Regression.Trainers.GradientDescent().Fit(trainData).Transform(testData)).RSquared;
        Assert.InRange(linearR2, 0.3, 0.85);
        Assert.InRange(metrics.RSquared, 0.97, 1.0);
        Assert.False(model.Model.IsLinear);
        Assert.Equal(3, model.Model.Layers.Count);
        Assert.True(model.Model.History.Epochs.All(epoch => epoch.HasValidationLoss));
        Assert.Contains(model.Model.StopReason, new TrainingStopReason?[] { TrainingStopReason.EarlyStopped, TrainingStopReason.Converged, TrainingStopReason.EpochLimit });
    }

    [Fact]
    public void TheWatchingTrainingExampleLogsEveryEpochAndReportsProgress()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView trainData = RegressionData.Generate(1_000, [1f, -2f, 0.5f], 1f, 0.3f, seed: 3).ToDataView(mlContext);
        var reports = new List<EpochReport>();

        // README: begin watching training
        using ILoggerFactory loggerFactory = LoggerFactory.Create(builder => builder.AddSimpleConsole(console => console.SingleLine = true));
        var progress = new Progress<EpochReport>(report =>
        {
            lock (reports) { reports.Add(report); }   // e.g. update a chart; Progress<T> posts to the UI thread
        });
        var trainer = mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
        {
            HiddenLayers = [16],
            NumberOfEpochs = 30,
            ValidationFraction = 0.1f,
            LoggerFactory = loggerFactory,       // or Logger = someILogger
            LossLoggingInterval = 10,            // log every 10th epoch (the first and last always)
            MLContext = mlContext,               // the same lines to mlContext.Log
            Progress = progress,                 // every epoch
        });
        GradientDescentRegressionTransformer model = trainer.Fit(trainData);
        // README: end watching training

        // Progress<T> posts to the thread pool when there is no synchronisation context: wait for the last report.
        int epochs = model.Model.EpochsRun;
        SpinWait.SpinUntil(() => { lock (reports) { return reports.Count == epochs; } }, TimeSpan.FromSeconds(10));
        EpochReport[] received;
        lock (reports)
        {
            received = [.. reports.OrderBy(report => report.Epoch)];
        }

        Assert.Equal(model.Model.History.Epochs, received);
        Assert.All(received, report => Assert.True(report.HasValidationLoss));

        // The same options with a capturing logger: EpochCompleted events carry the validation loss of the history.
        var logger = new CapturingLogger();
        var logged = mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
        {
            HiddenLayers = [16], NumberOfEpochs = 30, ValidationFraction = 0.1f, Logger = logger, LossLoggingInterval = 10,
        }).Fit(trainData);
        CapturingLogger.LogEvent[] epochEvents = [.. logger.Events.Where(e => e.EventId.Name == "EpochCompleted")];
        int[] loggedEpochs = [.. epochEvents.Select(e => (int)e.State["Epoch"]!)];
        int last = logged.Model.EpochsRun;
        Assert.Equal(new[] { 1, 10, 20, 30 }.Where(epoch => epoch < last).Append(last).Distinct(), loggedEpochs);
        Assert.All(epochEvents, e => Assert.Equal(logged.Model.History.Epochs[(int)e.State["Epoch"]! - 1].ValidationLoss, (float)e.State["ValidationLoss"]!));
    }

    [Fact]
    public void TheContinueTrainingExampleGoesOnFromASavedModel()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = RegressionData.Generate(300, [1.5f, -2f], 0.5f, 0.1f, seed: 21).ToDataView(mlContext);
        IDataView newData = RegressionData.Generate(300, [1.5f, -2f], 0.5f, 0.1f, seed: 22).ToDataView(mlContext);
        string path = Path.Combine(Path.GetTempPath(), $"gdtrainer-readme-continue-{Guid.NewGuid():N}.zip");
        try
        {
            // README: begin continue training
            var options = new GradientDescentRegressionTrainer.Options { NumberOfEpochs = 10, Seed = 5 };
            GradientDescentRegressionTransformer first = mlContext.Regression.Trainers.GradientDescent(options).Fit(data);
            GradientDescentModel.Save(mlContext, first, data.Schema, path);

            var loaded = (GradientDescentRegressionTransformer)GradientDescentModel.Load(mlContext, path, out _);
            GradientDescentRegressionTransformer continued = new GradientDescentRegressionTrainer(options).Fit(newData, loaded);
            Console.WriteLine(continued.Model.History.EpochsRun); // the first run's epochs plus up to 10 more, numbered on
            // README: end continue training

            Assert.Equal(first.Model.EpochsRun + 1, continued.Model.History.Epochs[first.Model.EpochsRun].Epoch);
            Assert.InRange(continued.Model.EpochsRun, first.Model.EpochsRun + 1, first.Model.EpochsRun + 10);
            Assert.Equal(1.5f, continued.Weights[0], 0.05f);
            Assert.Equal(-2f, continued.Weights[1], 0.05f);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class ThreeColumns
    {
        public float A { get; set; }

        public float B { get; set; }

        public float C { get; set; }

        public float Label { get; set; }
    }

    [Fact]
    public void TheFeatureImportanceExampleRanksTheFeaturesThroughTheChainsLastTransformer()
    {
        // Label = 4 A + 1 B + 0 C + noise: permuting A must hurt most, C not at all.
        var mlContext = new MLContext(seed: 1);
        var random = new Random(3);
        var rows = new List<ThreeColumns>();
        for (int i = 0; i < 500; i++)
        {
            float a = (float)random.NextDouble(), b = (float)random.NextDouble(), c = (float)random.NextDouble();
            rows.Add(new ThreeColumns { A = a, B = b, C = c, Label = (4 * a) + b + (0.05f * (float)(random.NextDouble() - 0.5)) });
        }

        IDataView data = mlContext.Data.LoadFromEnumerable(rows);
        // README: begin feature importance
        var pipeline = mlContext.Transforms.Concatenate("Features", "A", "B", "C")
            .Append(mlContext.Regression.Trainers.GradientDescent());
        var model = pipeline.Fit(data);
        IDataView featurized = model.Transform(data);   // holds the "Features" column the trainer read
        var importance = mlContext.Regression.PermutationFeatureImportance(model.LastTransformer, featurized, permutationCount: 3);
        // importance[j].RootMeanSquaredError.Mean: how much RMSE grows when slot j of "Features" is shuffled
        // README: end feature importance

        double[] rmseIncrease = [.. importance.Select(slot => slot.RootMeanSquaredError.Mean)];
        Assert.Equal(3, rmseIncrease.Length);
        Assert.True(rmseIncrease[0] > 4 * rmseIncrease[1] && rmseIncrease[1] > 0.1, string.Join(", ", rmseIncrease));
        Assert.True(Math.Abs(rmseIncrease[2]) < 0.01, string.Join(", ", rmseIncrease));

        // The overload on the whole chain looks for the predictor through an interface ML.NET keeps internal, so it cannot
        // find a third-party transformer; if a later ML.NET finds it, the README's explanation must change.
        var error = Assert.Throws<ArgumentNullException>(() => mlContext.Regression.PermutationFeatureImportance(model, data, permutationCount: 1));
        Assert.Contains("compatible predictor", error.Message);
    }
}
