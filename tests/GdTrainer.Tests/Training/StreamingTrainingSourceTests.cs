namespace GdTrainer.Tests.Training;

using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;
using GdTrainer.Tests.MLNet;
using GdTrainer.Training;

/// <summary>
/// The streamed source without ML.NET: every row once per epoch through the shuffle buffer, a new reproducible order per
/// epoch, the seeded hold-out of exactly its rows, the curvature of one pass against the in-memory estimate, training to the
/// least-squares optimum, and the errors that end a fit (a read that fails, rows that change) naming the source and the epoch.
/// </summary>
public sealed class StreamingTrainingSourceTests
{
    [Fact]
    public void EachEpochGivesEveryRowOnceInANewOrderThatTheSeedReproduces()
    {
        ArrayRowStream stream = IndexStream(1000);
        List<float[]> first = Epochs(stream.Source(bufferRows: 100), seed: 5, epochs: 3, batchSize: 20);
        List<float[]> again = Epochs(IndexStream(1000).Source(bufferRows: 100), seed: 5, epochs: 3, batchSize: 20);
        List<float[]> otherSeed = Epochs(IndexStream(1000).Source(bufferRows: 100), seed: 6, epochs: 3, batchSize: 20);
        foreach (float[] epoch in first)
        {
            Assert.Equal(Enumerable.Range(0, 1000).Select(i => (float)i), epoch.Order());
        }

        Assert.Equal(first, again);
        Assert.NotEqual(first[0], first[1]);
        Assert.NotEqual(first[1], first[2]);
        Assert.NotEqual(first[0], otherSeed[0]);
        Assert.Equal(0, stream.OpenReaders);
    }

    [Fact]
    public void WithoutANewOrderAPassRepeatsTheLastOneAndAnUnshuffledSourceReadsInStreamOrder()
    {
        StreamingTrainingSource source = IndexStream(500).Source(bufferRows: 64);
        source.Shuffle(new FastRandom(1));
        BatchPlan plan = source.Plan(16);
        Assert.Equal(Pass(plan), Pass(plan)); // Fewer than 32 batches keep their order: the loop does not call ShuffleOrder.

        BatchPlan unshuffled = IndexStream(500).Source().Plan(16);
        Assert.Equal(32, unshuffled.Count);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (float)i), Pass(unshuffled));
    }

    [Fact]
    public void ABatchIsDrawnFromTheWindowOfTheBufferAndABufferAsLargeAsTheDataShufflesUniformly()
    {
        // A buffer of 100 rows: the first batch comes from the first 100 rows of the stream, and the last batch from the last
        // rows (a row stays in the buffer for each batch with probability 3/4: 40 batches, 0.75^40 = 1e-5).
        StreamingTrainingSource small = IndexStream(2000).Source(bufferRows: 100);
        small.Shuffle(new FastRandom(3));
        float[] order = Pass(small.Plan(25));
        Assert.All(order.Take(25), label => Assert.True(label < 100, $"row {label} is not in the first window"));
        Assert.All(order.TakeLast(25), label => Assert.True(label >= 1000, $"row {label} left the buffer too late"));

        // A buffer of every row: the first batches of 20 epochs (640 rows) hold rows of the stream's second half half the time
        // (a binomial share with standard deviation 0.02: 0.4 to 0.6 is five of them).
        StreamingTrainingSource whole = IndexStream(2000).Source();
        whole.Shuffle(new FastRandom(4));
        BatchPlan plan = whole.Plan(32);
        var random = new FastRandom(9);
        int late = 0;
        for (int epoch = 0; epoch < 20; epoch++)
        {
            plan.ShuffleOrder(random);
            late += Pass(plan).Take(32).Count(label => label >= 1000);
            plan.EndPass();
        }

        Assert.InRange(late / 640.0, 0.4, 0.6);
    }

    [Fact]
    public void TheHoldOutTakesExactlyItsRowsTheSameOnEveryPassAndTheKeptRowsAreTheOthers()
    {
        float[] weights = Enumerable.Range(0, 1000).Select(i => 1f + (i % 7)).ToArray();
        ArrayRowStream stream = IndexStream(1000, weights);
        StreamingTrainingSource source = stream.Source(bufferRows: 100);
        source.Shuffle(new FastRandom(2));
        (TrainingSource kept, TrainingSource heldOut) = source.HoldOut(150);
        Assert.Equal(850, kept.RowCount);
        Assert.Equal(150, heldOut.RowCount);

        float[] held = Pass(heldOut.Plan(8192));
        Assert.Equal(held, Pass(heldOut.Plan(8192)));
        Assert.Equal(held.Order(), held); // Validation rows are read in stream order.
        float[] train = Pass(kept.Plan(10));
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (float)i), train.Concat(held).Order());
        Assert.Equal(held.Sum(label => weights[(int)label]), heldOut.TotalWeight);
        Assert.Equal(train.Sum(label => weights[(int)label]), kept.TotalWeight);
        Assert.InRange(held.Average(), 400, 600); // A random subset, not the first or last rows (mean 499.5, sd ~22).

        StreamingTrainingSource other = IndexStream(1000).Source();
        other.Shuffle(new FastRandom(3));
        Assert.NotEqual(held, Pass(other.HoldOut(150).HeldOut.Plan(8192)));
        Assert.Equal(0, stream.OpenReaders);
    }

    [Fact]
    public void OnePassEstimatesTheCurvatureOfTheInMemoryRows()
    {
        RegressionData data = RegressionData.Generate(20_000, [1f, -2f, 0.5f, 3f], 1f, 0.1f, seed: 4);
        // Correlated columns, so that the largest eigenvalue is not near 1.
        float[][] features = data.Features.Select(x => new[] { x[0], x[0] + (0.3f * x[1]), x[2], x[3] * 2 }).ToArray();
        StreamingTrainingSource streamed = new ArrayRowStream(features, data.Labels).Source();
        streamed.Shuffle(new FastRandom(1));
        TrainingSource dense = TrainingSource.FromArrays(features, data.Labels);
        dense.Shuffle(new FastRandom(1));

        LinearCurvature fromStream = streamed.EstimateLinearCurvature();
        LinearCurvature fromMemory = dense.EstimateLinearCurvature();
        Assert.Equal(fromMemory.RowCurvature, fromStream.RowCurvature); // The largest row norm over every row: exact.
        Assert.Equal(fromMemory.Lambda, fromStream.Lambda, fromMemory.Lambda * 0.05); // Two samples of 4,096 rows.
    }

    [Fact]
    public void RowsAreStandardisedAsTheyAreRead()
    {
        float[][] features = [[1f, 10f], [3f, 20f], [5f, 30f]];
        StreamingTrainingSource source = new ArrayRowStream(features, [0f, 1f, 2f]).Source();
        source.Standardize(new FeatureTransform([3f, 20f], [0.5f, 0.1f]));
        TrainingBatch batch = source.Plan(3)[0];
        Assert.Equal([-1f, -1f, 0f, 0f, 1f, 1f], batch.Features!.Data.ToArray());
    }

    [Fact]
    public void ALinearModelTrainedOnAStreamReachesTheLeastSquaresOptimum()
    {
        RegressionData data = RegressionData.Generate(3000, [1f, -2f, 0.5f], 0.5f, 0.3f, seed: 8);
        var settings = new TrainerSettings { Optimizer = OptimizerSettings.Sgd(), LearningRateSchedule = LearningRateSchedule.Adaptive, ConvergenceTolerance = 1e-9f, Patience = 2, NumberOfEpochs = 1000, BatchSize = 64, ValidationFraction = 0.1f };
        var model = new LinearModel(3);
        ArrayRowStream stream = new(data.Features, data.Labels);
        StreamingTrainingSource source = stream.Source(bufferRows: 500);
        TrainingResult result = new ModuleTrainer(settings).Fit(model, new MeanSquaredErrorLoss(), source);

        // The optimum of the kept rows: the hold-out rule, replayed, says which they are.
        var rule = new HoldOutRule(HoldOutSeed(settings.Seed), 3000, 300);
        HoldOutRule.Selector selector = rule.Start();
        int[] kept = Enumerable.Range(0, 3000).Where(_ => !selector.Next()).ToArray();
        (double[] weights, double bias) = LeastSquares.Solve(kept.Select(i => data.Features[i]).ToArray(), kept.Select(i => data.Labels[i]).ToArray());
        Assert.Equal(TrainingStopReason.Converged, result.History.StopReason);
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(weights[j], model.Weights.Data[j], 1e-4);
        }

        Assert.Equal(bias, model.Bias.Data[0], 1e-4);
        Assert.Equal(0, stream.OpenReaders);
    }

    [Theory]
    [InlineData(2, 100, "epoch 2")] // The rate is set and there is no hold-out, so no pass before training: pass 2 is epoch 2.
    [InlineData(1, 0, "epoch 1")]
    public void AReadErrorInAnEpochEndsTheFitNamingTheSourceAndTheEpoch(int failingPass, int afterRows, string epoch)
    {
        RegressionData data = RegressionData.Generate(1000, [1f, 2f], 0f, 0.1f, seed: 2);
        var stream = new ArrayRowStream(data.Features, data.Labels) { ThrowOnPass = failingPass, ThrowAfterRows = afterRows };
        var settings = new TrainerSettings { BatchSize = 10, NumberOfEpochs = 5, LearningRate = 0.01f };
        var exception = Assert.Throws<InvalidOperationException>(() => new ModuleTrainer(settings).Fit(new Mlp(2, [4], 1, seed: 1), new MeanSquaredErrorLoss(), stream.Source()));
        Assert.Contains($"Training stopped in {epoch}: reading the test stream failed after {afterRows} usable rows of the pass (IOException: The disk went away.)", exception.Message);
        Assert.Contains("No model is returned", exception.Message);
        Assert.IsType<IOException>(exception.InnerException);
        Assert.Equal(0, stream.OpenReaders);
    }

    [Fact]
    public void AReadErrorBeforeTheFirstEpochOrInTheValidationPassSaysWhere()
    {
        RegressionData data = RegressionData.Generate(1000, [1f, 2f], 0f, 0.1f, seed: 2);

        // The linear model's derived rate reads the rows once before the first epoch.
        var early = new ArrayRowStream(data.Features, data.Labels) { ThrowOnPass = 1, ThrowAfterRows = 10 };
        var linear = new TrainerSettings { Optimizer = OptimizerSettings.Sgd(), BatchSize = 10, NumberOfEpochs = 3 };
        var before = Assert.Throws<InvalidOperationException>(() => new ModuleTrainer(linear).Fit(new LinearModel(2), new MeanSquaredErrorLoss(), early.Source()));
        Assert.StartsWith("Training stopped in the pass before the first epoch: reading the test stream failed after 10 usable rows", before.Message);

        // With a hold-out, epoch 1 is pass 1 and its validation loss pass 2.
        var late = new ArrayRowStream(data.Features, data.Labels) { ThrowOnPass = 2, ThrowAfterRows = 500 };
        var validated = new TrainerSettings { BatchSize = 10, NumberOfEpochs = 3, LearningRate = 0.01f, ValidationFraction = 0.2f };
        var after = Assert.Throws<InvalidOperationException>(() => new ModuleTrainer(validated).Fit(new Mlp(2, [4], 1, seed: 1), new MeanSquaredErrorLoss(), late.Source()));
        Assert.StartsWith("Training stopped in the validation pass after epoch 1: reading the test stream failed after 500 usable rows", after.Message);
        Assert.Equal(0, late.OpenReaders);
    }

    [Fact]
    public void AStreamThatGivesOtherRowsThanItsFirstPassEndsTheFit()
    {
        RegressionData data = RegressionData.Generate(1000, [1f, 2f], 0f, 0.1f, seed: 2);
        var stream = new ArrayRowStream(data.Features, data.Labels) { ShortOnPass = 2 };
        var settings = new TrainerSettings { BatchSize = 10, NumberOfEpochs = 5, LearningRate = 0.01f };
        var exception = Assert.Throws<InvalidOperationException>(() => new ModuleTrainer(settings).Fit(new Mlp(2, [4], 1, seed: 1), new MeanSquaredErrorLoss(), stream.Source()));
        Assert.StartsWith("Training stopped in epoch 2: the test stream gave 999 usable rows on this pass, but 1,000 on the first pass", exception.Message);
        Assert.Equal(0, stream.OpenReaders);
    }

    [Fact]
    public void CancellingAfterAnEpochReturnsTheModelOfTheFinishedEpochs()
    {
        RegressionData data = RegressionData.Generate(2000, [1f, 2f], 0f, 0.1f, seed: 2);
        using var cancellation = new CancellationTokenSource();
        var stream = new ArrayRowStream(data.Features, data.Labels);
        var settings = new TrainerSettings
        {
            BatchSize = 10, NumberOfEpochs = 50, LearningRate = 0.01f, CancellationToken = cancellation.Token,
            Progress = new SynchronousProgress(report => cancellation.Cancel()),
        };
        TrainingResult result = new ModuleTrainer(settings).Fit(new Mlp(2, [4], 1, seed: 1), new MeanSquaredErrorLoss(), stream.Source(cancellationToken: cancellation.Token));
        Assert.Equal(TrainingStopReason.Cancelled, result.History.StopReason);
        Assert.Equal(1, result.History.EpochsRun);
        Assert.Equal(0, stream.OpenReaders);
    }

    /// <summary>The hold-out seed a source shuffled by a trainer of seed <paramref name="seed"/> draws first.</summary>
    private static int HoldOutSeed(int seed) => new FastRandom(seed).NextBelow(int.MaxValue);

    /// <summary>Rows whose label is their index, with two features.</summary>
    private static ArrayRowStream IndexStream(int rows, float[]? weights = null) =>
        new(Enumerable.Range(0, rows).Select(i => new[] { (float)i, 1f }).ToArray(), Enumerable.Range(0, rows).Select(i => (float)i).ToArray(), weights);

    /// <summary>The labels of each of <paramref name="epochs"/> epochs as the loop draws them (a new order per epoch).</summary>
    private static List<float[]> Epochs(StreamingTrainingSource source, int seed, int epochs, int batchSize)
    {
        var random = new FastRandom(seed);
        source.Shuffle(random);
        BatchPlan plan = source.Plan(batchSize);
        var result = new List<float[]>();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            plan.ShuffleOrder(random);
            result.Add(Pass(plan));
        }

        return result;
    }

    /// <summary>The labels of one pass over <paramref name="plan"/>, in the order its batches gave them.</summary>
    private static float[] Pass(BatchPlan plan)
    {
        var labels = new List<float>();
        using BatchPlan.PassScope pass = plan.OpenPass();
        for (int step = 0; step < plan.Count; step++)
        {
            labels.AddRange(plan[step].Labels.Data.ToArray());
        }

        return [.. labels];
    }

    private sealed class SynchronousProgress(Action<EpochReport> report) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => report(value);
    }
}
