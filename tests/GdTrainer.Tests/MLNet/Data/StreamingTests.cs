namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Optimizers;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using RegressionOptions = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// Training on rows streamed from the data view (issue 20): the same quality as in memory for the three tasks (the linear
/// models reach the optimum they reach in memory; the MLP's held-out error is compared over seeds), validation by fraction
/// and by data view, early stopping, warm start, reproducibility, the memory budget's decision, the rows left out, and the
/// errors of a data view that fails while it is streamed. Files are written with <c>SaveAsBinary</c>, as the issue's case.
/// </summary>
public sealed class StreamingTests : IDisposable
{
    private static readonly float[] TrueWeights = [1.5f, -2f, 0.25f, 3f, 0f];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-stream-" + Guid.NewGuid().ToString("N"));
    private readonly MLContext _mlContext = new(seed: 0);

    public StreamingTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void ALinearRegressionStreamedFromABinaryFileReachesTheOptimumItReachesInMemory()
    {
        IDataView train = SavedAsBinary(RegressionData.Generate(5000, TrueWeights, 0.5f, 0.5f, seed: 4).ToDataView(_mlContext));
        IDataView test = RegressionData.Generate(2000, TrueWeights, 0.5f, 0.5f, seed: 5).ToDataView(_mlContext);
        var streamedLog = new CapturingLogger();
        var inMemoryLog = new CapturingLogger();
        var reports = new List<EpochReport>();
        GradientDescentRegressionTransformer streamed = _mlContext.Regression.Trainers.GradientDescent(
            new RegressionOptions { Streaming = true, Logger = streamedLog, Progress = new Recorder(reports) }).Fit(train);
        GradientDescentRegressionTransformer inMemory = _mlContext.Regression.Trainers.GradientDescent(
            new RegressionOptions { Streaming = false, Logger = inMemoryLog }).Fit(train);

        // Both reach the least-squares optimum of the same rows (the defaults come within 1e-4 of it: ConvergenceTests).
        Assert.Equal(TrainingStopReason.Converged, streamed.Model.StopReason);
        for (int j = 0; j < TrueWeights.Length; j++)
        {
            Assert.Equal(inMemory.Weights[j], streamed.Weights[j], 2e-4f);
        }

        Assert.Equal(inMemory.Bias, streamed.Bias, 2e-4f);
        double streamedRmse = _mlContext.Regression.Evaluate(streamed.Transform(test)).RootMeanSquaredError;
        double inMemoryRmse = _mlContext.Regression.Evaluate(inMemory.Transform(test)).RootMeanSquaredError;
        Assert.Equal(inMemoryRmse, streamedRmse, inMemoryRmse * 1e-3);
        Assert.Equal(streamed.Model.EpochsRun, reports.Count); // Progress as in memory: one report per epoch.

        string streamedPlacement = Assert.Single(streamedLog.Events, e => e.EventId.Id == 8).Message;
        Assert.Equal("GradientDescent streams the 5,000 training rows of 5 features from the data view on every epoch (117.2 KiB in memory: Options.Streaming = true), shuffled through a buffer of 5,000 rows (117.2 KiB)", streamedPlacement);
        string inMemoryPlacement = Assert.Single(inMemoryLog.Events, e => e.EventId.Id == 8).Message;
        Assert.Equal("GradientDescent holds the 5,000 training rows in memory (117.2 KiB: Options.Streaming = false)", inMemoryPlacement);
    }

    [Fact]
    public void ExampleWeightsStreamedGiveTheWeightedOptimumAndAHoldOutWeighsItsSides()
    {
        RegressionData rows = RegressionData.Generate(4000, TrueWeights, 0.5f, 0.5f, seed: 13);
        IDataView data = SavedAsBinary(rows.ToDataView(_mlContext));
        GradientDescentRegressionTransformer Fit(bool streaming, float validationFraction = 0f) => _mlContext.Regression.Trainers.GradientDescent(
            new RegressionOptions { ExampleWeightColumnName = "Weight", Streaming = streaming, ValidationFraction = validationFraction }).Fit(data);

        GradientDescentRegressionTransformer streamed = Fit(streaming: true);
        (double[] weights, double bias) = LeastSquares.Solve(rows.Features, rows.Labels, rows.Weights);
        for (int j = 0; j < TrueWeights.Length; j++)
        {
            Assert.Equal(weights[j], streamed.Weights[j], 2e-4);
        }

        Assert.Equal(bias, streamed.Bias, 2e-4);

        // With a hold-out, one more pass weighs each side (the batches' share of the kept weight): training still converges.
        GradientDescentRegressionTransformer heldOut = Fit(streaming: true, validationFraction: 0.2f);
        Assert.Equal(TrainingStopReason.Converged, heldOut.Model.StopReason);
        Assert.All(heldOut.Model.History.Epochs, epoch => Assert.True(epoch.HasValidationLoss));
        for (int j = 0; j < TrueWeights.Length; j++)
        {
            Assert.Equal(weights[j], heldOut.Weights[j], 0.05); // The optimum of 80% of the rows: within sampling noise of all rows'.
        }
    }

    [Fact]
    public void TheReadmeExampleStreamsABinaryFileWithAHoldOutAndEarlyStopping()
    {
        IDataView rows = RegressionData.Generate(3000, TrueWeights, 0.5f, 0.5f, seed: 11).ToDataView(_mlContext);
        IDataView test = RegressionData.Generate(1000, TrueWeights, 0.5f, 0.5f, seed: 12).ToDataView(_mlContext);
        string path = Path.Combine(_directory, "rows.idv");
        var logger = new CapturingLogger();
        MLContext mlContext = _mlContext;
        // README: begin data larger than memory
        // Write the rows once as a binary IDataView file (SaveAsBinary reads its input one row at a time).
        using (FileStream file = File.Create(path))
        {
            mlContext.Data.SaveAsBinary(rows, file);
        }

        IDataView data = mlContext.Data.LoadFromBinary(path);
        var trainer = mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
        {
            Streaming = true,             // null (the default): stream only rows that exceed MemoryBudgetBytes
            ValidationFraction = 0.1f,    // held out by a seeded rule, its loss read after every epoch
            EarlyStopping = new EarlyStopping { Patience = 5 },
            Logger = logger,              // logs where the rows went: "GradientDescent streams the 3,000 training rows ..."
        });
        GradientDescentRegressionTransformer model = trainer.Fit(data);
        // README: end data larger than memory

        Assert.StartsWith("GradientDescent streams the 3,000 training rows of 5 features from the data view on every epoch", Assert.Single(logger.Events, e => e.EventId.Id == 8).Message);
        CapturingLogger.LogEvent started = Assert.Single(logger.Events, e => e.EventId.Id == 1);
        Assert.Equal((2700, 300), ((int)started.State["Rows"]!, (int)started.State["ValidationRows"]!)); // Exactly 10% held out.
        Assert.All(model.Model.History.Epochs, epoch => Assert.True(epoch.HasValidationLoss));
        double rmse = _mlContext.Regression.Evaluate(model.Transform(test)).RootMeanSquaredError;
        Assert.InRange(rmse, 0.45, 0.55); // The noise's 0.5: the least-squares fit of 2,700 rows.
    }

    [Fact]
    public void AnMlpStreamedWithAHoldOutAndEarlyStoppingHasTheHeldOutErrorOfTheInMemoryFit()
    {
        // An MLP's error varies from seed to seed (in memory on this data: 0.74 to 0.82, one seed 1.27, early-stopped at epoch
        // 19); streaming draws its batches another way, which is one more such draw. So the medians over five seeds are
        // compared, within 10%: a streamed epoch that did not see every row, or leaked the hold-out, would be far off.
        (float[][] x, float[] y, _) = TrainingTestData.Friedman1(3000, seed: 1);
        (float[][] testX, float[] testY, double[] clean) = TrainingTestData.Friedman1(2000, seed: 2);
        IDataView train = SavedAsBinary(TrainingTestData.View(_mlContext, x, y));
        IDataView test = TrainingTestData.View(_mlContext, testX, testY);
        double Median(bool streaming) => Enumerable.Range(1, 5).Select(seed =>
        {
            var options = new RegressionOptions
            {
                HiddenLayers = [32, 32], BatchSize = 32, ValidationFraction = 0.2f, EarlyStopping = new EarlyStopping { Patience = 10 }, Seed = seed, Streaming = streaming,
            };
            GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(options).Fit(train);
            return TrainingTestData.Rmse(TrainingTestData.Scores(model, test), clean);
        }).Order().ElementAt(2);

        double inMemory = Median(streaming: false);
        double streamed = Median(streaming: true);
        Assert.InRange(streamed, inMemory * 0.9, inMemory * 1.1);
        Assert.InRange(streamed, 0.5, 1.0); // The noise is 1; Friedman's function has a standard deviation of 4.9.
    }

    [Fact]
    public void TheLinearClassifiersStreamedReachTheOptimumTheyReachInMemory()
    {
        // Both classifiers' default penalty makes the optimum unique; both runs stop within 1e-4 of its loss.
        IDataView binaryTrain = SavedAsBinary(ClassificationData.Binary(_mlContext, 4000, seed: 1));
        IDataView binaryTest = ClassificationData.Binary(_mlContext, 2000, seed: 2);
        double BinaryLogLoss(bool streaming) => _mlContext.BinaryClassification.Evaluate(_mlContext.BinaryClassification.Trainers
            .GradientDescent(new GradientDescentBinaryTrainer.Options { Streaming = streaming }).Fit(binaryTrain).Transform(binaryTest)).LogLoss;
        double binaryInMemory = BinaryLogLoss(streaming: false);
        Assert.Equal(binaryInMemory, BinaryLogLoss(streaming: true), binaryInMemory * 2e-3);

        var toKey = _mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(ClassificationData.Multiclass(_mlContext, 3000, seed: 3));
        IDataView multiclassTrain = toKey.Transform(SavedAsBinary(ClassificationData.Multiclass(_mlContext, 3000, seed: 3)));
        IDataView multiclassTest = toKey.Transform(ClassificationData.Multiclass(_mlContext, 2000, seed: 4));
        double MulticlassLogLoss(bool streaming) => _mlContext.MulticlassClassification.Evaluate(_mlContext.MulticlassClassification.Trainers
            .GradientDescent(new GradientDescentMulticlassTrainer.Options { Streaming = streaming }).Fit(multiclassTrain).Transform(multiclassTest)).LogLoss;
        double multiclassInMemory = MulticlassLogLoss(streaming: false);
        Assert.Equal(multiclassInMemory, MulticlassLogLoss(streaming: true), multiclassInMemory * 2e-3);
    }

    [Fact]
    public void FitWithAValidationDataViewStreamsBothAndRestoresTheEpochOfTheBestValidationLoss()
    {
        (float[][] x, float[] y, _) = TrainingTestData.Friedman1(2000, seed: 5);
        (float[][] validX, float[] validY, _) = TrainingTestData.Friedman1(500, seed: 6);
        IDataView train = SavedAsBinary(TrainingTestData.View(_mlContext, x, y));
        IDataView validation = SavedAsBinary(TrainingTestData.View(_mlContext, validX, validY));
        var log = new CapturingLogger();
        var options = new RegressionOptions
        {
            HiddenLayers = [16], BatchSize = 32, EarlyStopping = new EarlyStopping { Patience = 5 }, Patience = 0, NumberOfEpochs = 300, Seed = 2, Streaming = true, Logger = log,
        };
        GradientDescentRegressionTransformer model = new GradientDescentRegressionTrainer(options).Fit(train, validation);

        Assert.Equal(TrainingStopReason.EarlyStopped, model.Model.StopReason);
        float[] losses = model.Model.History.ValidationLosses();
        Assert.Equal(Array.IndexOf(losses, losses.Min()) + 1, model.Model.History.RestoredEpoch);
        // The restored model's mean squared error on the validation view, computed here, is the best loss the stream measured.
        float[] scores = TrainingTestData.Scores(model, validation);
        double mse = scores.Select((score, i) => Math.Pow(score - validY[i], 2)).Average();
        Assert.Equal(losses.Min(), mse, losses.Min() * 1e-4);
        string[] placements = [.. log.Events.Where(e => e.EventId.Id == 8).Select(e => e.Message)];
        Assert.Equal(2, placements.Length);
        Assert.StartsWith("GradientDescent streams the 2,000 training rows", placements[0]);
        Assert.Equal("GradientDescent streams the 500 validation rows of 10 features from the data view on every epoch (21.5 KiB in memory: Options.Streaming = true)", placements[1]);
    }

    [Fact]
    public void TenStreamedEpochsContinuedForTenMoreEqualTwentyInOneGoWithPlainSgd()
    {
        // 1,000 rows in batches of 16: 63 batches, so every epoch draws a new shuffle, which the continuation must replay.
        IDataView data = SavedAsBinary(RegressionData.Generate(1000, TrueWeights, 0.5f, 0.3f, seed: 4).ToDataView(_mlContext));
        RegressionOptions PlainSgd(int epochs) => new()
        {
            NumberOfEpochs = epochs, LearningRate = 0.05f, LearningRateSchedule = LearningRateSchedule.Constant, Patience = 0, BatchSize = 16, Seed = 5, Streaming = true,
        };
        GradientDescentRegressionTransformer twenty = _mlContext.Regression.Trainers.GradientDescent(PlainSgd(20)).Fit(data);
        GradientDescentRegressionTransformer ten = _mlContext.Regression.Trainers.GradientDescent(PlainSgd(10)).Fit(data);
        GradientDescentRegressionTransformer continued = new GradientDescentRegressionTrainer(PlainSgd(10)).Fit(data, ten);

        Assert.Equal(20, continued.Model.EpochsRun);
        for (int j = 0; j < TrueWeights.Length; j++)
        {
            Assert.Equal(twenty.Weights[j], continued.Weights[j], 1e-5f);
        }

        Assert.Equal(twenty.Bias, continued.Bias, 1e-5f);
        Assert.NotEqual(twenty.Weights[0], ten.Weights[0]);
    }

    [Fact]
    public void AStreamedFitIsReproducibleForASeedAndChangesWithIt()
    {
        IDataView data = SavedAsBinary(RegressionData.Generate(2000, TrueWeights, 0.5f, 0.3f, seed: 7).ToDataView(_mlContext));
        float[] Weights(int seed) => [.. _mlContext.Regression.Trainers.GradientDescent(
            new RegressionOptions { HiddenLayers = [8], Dropout = 0.1f, NumberOfEpochs = 15, BatchSize = 32, ValidationFraction = 0.1f, Seed = seed, Streaming = true })
            .Fit(data).Model.Layers[0].Weights.ToArray()];

        Assert.Equal(Weights(3), Weights(3));
        Assert.NotEqual(Weights(3), Weights(4));
    }

    [Fact]
    public void WithStreamingNullTheMemoryBudgetDecides()
    {
        // 5,000 rows of 5 features: 24 bytes a row, 120,000 bytes.
        RegressionData rows = RegressionData.Generate(5000, TrueWeights, 0.5f, 0.5f, seed: 4);
        IDataView file = SavedAsBinary(rows.ToDataView(_mlContext));
        (GradientDescentRegressionTransformer Model, string Placement) Fit(IDataView data, long? budget)
        {
            var log = new CapturingLogger();
            GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(new RegressionOptions { MemoryBudgetBytes = budget, Logger = log }).Fit(data);
            return (model, Assert.Single(log.Events, e => e.EventId.Id == 8).Message);
        }

        (GradientDescentRegressionTransformer inMemory, string fits) = Fit(file, 1_000_000);
        Assert.Equal("GradientDescent holds the 5,000 training rows in memory (117.2 KiB: within the memory budget of 976.6 KiB (MemoryBudgetBytes))", fits);
        (_, string byDefault) = Fit(file, null);
        Assert.Matches(@"^GradientDescent holds the 5,000 training rows in memory \(117\.2 KiB: within the memory budget of [0-9.]+ [MG]iB \(MemoryBudgetBytes null: a quarter of the [0-9.]+ [MG]iB available to the process\)\)$", byDefault);

        (GradientDescentRegressionTransformer streamed, string tooLarge) = Fit(file, 100_000);
        Assert.Equal("GradientDescent streams the 5,000 training rows of 5 features from the data view on every epoch (117.2 KiB in memory: more than the memory budget of 97.7 KiB (MemoryBudgetBytes)), shuffled through a buffer of 2,083 rows (48.8 KiB)", tooLarge);

        // A data view that cannot tell its row count (a lazy sequence) is stored until its store would grow past the budget,
        // then streamed.
        IDataView enumerable = _mlContext.Data.LoadFromEnumerable(
            Enumerable.Range(0, rows.Rows).Select(i => new FiveFeatureRow { Features = rows.Features[i], Label = rows.Labels[i] }));
        Assert.Null(enumerable.GetRowCount());
        (GradientDescentRegressionTransformer switched, string midway) = Fit(enumerable, 60_000);
        Assert.StartsWith("GradientDescent streams the 5,000 training rows of 5 features from the data view on every epoch (117.2 KiB in memory: more than the memory budget of 58.6 KiB", midway);
        Assert.Equal(new TrainingRowCounts(5000, 0, 0, 0), switched.Model.RowCounts);
        // A feature column wider than 1,024 slots is read as sparse rows, held in memory whatever the budget.
        IDataView wide = RegressionData.Generate(20, new float[2000], 0f, 1f, seed: 1).ToDataView(_mlContext);
        Assert.Equal(
            "GradientDescent holds the 20 training rows in memory densely (its sparse rows turned out mostly non-zero): a feature column wider than 1,024 slots is never streamed",
            Fit(wide, 1000).Placement);

        foreach (GradientDescentRegressionTransformer model in new[] { streamed, switched })
        {
            for (int j = 0; j < TrueWeights.Length; j++)
            {
                Assert.Equal(inMemory.Weights[j], model.Weights[j], 2e-4f);
            }
        }
    }

    [Fact]
    public void RowsThatCannotBeTrainedOnAreCountedAndRefusedAsInMemory()
    {
        RegressionData clean = RegressionData.Generate(1000, TrueWeights, 0.5f, 0.3f, seed: 9);
        float[] labels = (float[])clean.Labels.Clone();
        float[][] features = [.. clean.Features.Select(row => (float[])row.Clone())];
        labels[10] = float.NaN;
        features[20][1] = float.PositiveInfinity;
        features[30][0] = float.NaN;
        IDataView data = SavedAsBinary(RegressionData.FromArrays(features, labels).ToDataView(_mlContext));
        GradientDescentRegressionTransformer Fit(bool streaming) => _mlContext.Regression.Trainers.GradientDescent(new RegressionOptions { Streaming = streaming }).Fit(data);

        GradientDescentRegressionTransformer streamed = Fit(streaming: true);
        GradientDescentRegressionTransformer inMemory = Fit(streaming: false);
        Assert.Equal(new TrainingRowCounts(997, 1, 0, 2), streamed.Model.RowCounts);
        Assert.Equal(inMemory.Model.RowCounts, streamed.Model.RowCounts);
        Assert.Equal(inMemory.Weights[0], streamed.Weights[0], 2e-4f);

        string Error(bool streaming) => Assert.Throws<InvalidOperationException>(() => _mlContext.Regression.Trainers.GradientDescent(
            new RegressionOptions { Streaming = streaming, InvalidRows = InvalidRowHandling.Error }).Fit(data)).Message;
        Assert.Equal(Error(streaming: false), Error(streaming: true));
        Assert.Contains("row 10 (0-based", Error(streaming: true));

        // The label checks read the summary of the first pass: a binary label that is always false fails the same way.
        IDataView oneClass = ClassificationData.Binary(_mlContext, 200, seed: 1, constantLabel: false);
        string LabelError(bool streaming) => Assert.Throws<InvalidOperationException>(() => _mlContext.BinaryClassification.Trainers.GradientDescent(
            new GradientDescentBinaryTrainer.Options { Streaming = streaming }).Fit(oneClass)).Message;
        Assert.Equal(LabelError(streaming: false), LabelError(streaming: true));
        Assert.StartsWith("The label column 'Label' is false in all 200 usable training rows", LabelError(streaming: true));
    }

    [Theory]
    [InlineData(2, "epoch 1")] // Cursor 1 is the first pass (statistics); with 63 batches an epoch is one cursor.
    [InlineData(4, "epoch 3")]
    public void AReadErrorMidEpochEndsTheFitNamingTheDataViewAndTheEpoch(int failingCursor, string epoch)
    {
        IDataView inner = RegressionData.Generate(2000, TrueWeights, 0.5f, 0.3f, seed: 3).ToDataView(_mlContext);
        var data = new FailingDataView(inner) { FailOnCursor = failingCursor, FailAfterRows = 700 };
        var options = new RegressionOptions { HiddenLayers = [8], BatchSize = 32, NumberOfEpochs = 10, Streaming = true };
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => _mlContext.Regression.Trainers.GradientDescent(options).Fit(data));
        Assert.Equal(
            $"Training stopped in {epoch}: reading column 'Features' of the training data view (FailingDataView) failed after 700 usable rows of the pass (IOException: The file was truncated.). " +
            "No model is returned rather than one trained on part of an epoch: make the data source readable (the file, the connection, or the transform that failed) and call Fit again.",
            error.Message);
        Assert.IsType<IOException>(error.InnerException);
        Assert.Equal(failingCursor, data.Cursors);
        Assert.Equal(0, data.OpenCursors);
    }

    [Fact]
    public void TheLinearModelsLearningRatePassIsThePassBeforeTheFirstEpoch()
    {
        IDataView inner = RegressionData.Generate(2000, TrueWeights, 0.5f, 0.3f, seed: 3).ToDataView(_mlContext);
        var data = new FailingDataView(inner) { FailOnCursor = 2, FailAfterRows = 1500 };
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() =>
            _mlContext.Regression.Trainers.GradientDescent(new RegressionOptions { Streaming = true }).Fit(data));
        Assert.StartsWith("Training stopped in the pass before the first epoch: reading column 'Features' of the training data view (FailingDataView) failed after 1,500 usable rows", error.Message);
        Assert.Equal(0, data.OpenCursors);
    }

    [Fact]
    public void CancellingAStreamedFitAfterAnEpochReturnsTheModelOfTheFinishedEpochs()
    {
        IDataView data = SavedAsBinary(RegressionData.Generate(2000, TrueWeights, 0.5f, 0.3f, seed: 3).ToDataView(_mlContext));
        using var cancellation = new CancellationTokenSource();
        var options = new RegressionOptions
        {
            HiddenLayers = [8], BatchSize = 32, NumberOfEpochs = 50, Streaming = true, CancellationToken = cancellation.Token,
            Progress = new Recorder([], cancellation.Cancel),
        };
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(options).Fit(data);
        Assert.Equal(TrainingStopReason.Cancelled, model.Model.StopReason);
        Assert.Equal(1, model.Model.EpochsRun);
    }

    [Fact]
    public void TheStreamingOptionsAreCheckedNamingTheOptionAndWhatToDo()
    {
        foreach (long budget in new[] { 0L, -1L })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => _mlContext.Regression.Trainers.GradientDescent(new RegressionOptions { MemoryBudgetBytes = budget }));
            Assert.Equal("MemoryBudgetBytes", error.ParamName);
            Assert.Contains($"must be a positive number of bytes (or null for a quarter of the memory available to the process), but was {budget}", error.Message);
        }

        var contradiction = Assert.Throws<ArgumentException>(() => _mlContext.Regression.Trainers.GradientDescent(new RegressionOptions { Streaming = false, MemoryBudgetBytes = 1 << 20 }));
        Assert.Equal("MemoryBudgetBytes", contradiction.ParamName);
        Assert.StartsWith("MemoryBudgetBytes has no effect with Streaming = false", contradiction.Message);

        // A feature column wider than 1,024 slots is held in memory as sparse rows, which are not streamed.
        IDataView wide = RegressionData.Generate(20, new float[2000], 0f, 1f, seed: 1).ToDataView(_mlContext);
        var sparse = Assert.Throws<InvalidOperationException>(() => _mlContext.Regression.Trainers.GradientDescent(new RegressionOptions { Streaming = true }).Fit(wide));
        Assert.StartsWith("Options.Streaming is true, but the feature column 'Features' has 2000 slots, more than the 1,024 up to which GradientDescent reads dense rows", sparse.Message);
    }

    /// <summary>The rows of <paramref name="data"/> written with <c>SaveAsBinary</c> and loaded back (a view whose row count is known).</summary>
    private IDataView SavedAsBinary(IDataView data)
    {
        string path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".idv");
        using (FileStream stream = File.Create(path))
        {
            _mlContext.Data.SaveAsBinary(data, stream);
        }

        return _mlContext.Data.LoadFromBinary(path);
    }

    /// <summary>A row of 5 features, for a data view over a lazy sequence (whose row count ML.NET cannot tell).</summary>
    internal sealed class FiveFeatureRow
    {
        [VectorType(5)]
        public float[] Features = [];

        public float Label;
    }

    private sealed class Recorder(List<EpochReport> reports, Action? afterEach = null) : IProgress<EpochReport>
    {
        public void Report(EpochReport value)
        {
            reports.Add(value);
            afterEach?.Invoke();
        }
    }
}
