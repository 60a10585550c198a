namespace GdTrainer.Tests.Training;

using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;
using GdTrainer.Tests.MLNet;
using GdTrainer.Training;

/// <summary>
/// The training room used from plain C#, without ML.NET: a module trained on a <see cref="TrainingSource"/> by a
/// <see cref="ModuleTrainer"/>, with validation, early stopping, schedules and history. Expectations are independent:
/// closed-form least squares, the cosine formula, the best validation loss recomputed by a forward pass.
/// </summary>
public sealed class ModuleTrainerTests
{
    [Fact]
    public void TheReadmeExampleTrainsAnMlpWithValidationAndEarlyStoppingWithoutMLNet()
    {
        // 160 noisy rows, 8 features of which 1 matters: a [64, 64] MLP fits the noise once it has the signal.
        RegressionData data = RegressionData.Generate(160, [1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f], 0f, 1f, seed: 11);
        float[][] features = data.Features;
        float[] labels = data.Labels;
        // README: begin module trainer
        var model = new Mlp(inputs: 8, hidden: [64, 64], outputs: 1, seed: 1);
        var trainer = new ModuleTrainer(new TrainerSettings
        {
            NumberOfEpochs = 1000,
            BatchSize = 32,
            ValidationFraction = 0.25f,                          // 40 of the 160 rows, held out at random
            EarlyStopping = new EarlyStopping { Patience = 20 }, // and the best epoch's weights restored
        });
        TrainingResult result = trainer.Fit(model, new MeanSquaredErrorLoss(), TrainingSource.FromArrays(features, labels));
        Console.WriteLine(result.History);   // "early-stopped at epoch 35, best epoch 15 restored"
        // README: end module trainer

        TrainingHistory history = result.History;
        Assert.Same(model, result.Model);
        Assert.False(model.IsTraining);
        Assert.Equal("early-stopped at epoch 35, best epoch 15 restored", history.ToString()); // As the README prints it.
        float[] validation = history.ValidationLosses();
        int best = Array.IndexOf(validation, validation.Min()) + 1;
        Assert.Equal(best, history.RestoredEpoch);
        Assert.Equal(history.EpochsRun, best + 20);
        Assert.True(history.Epochs[^1].TrainingLoss < validation.Min(), "the MLP should end by fitting noise below its best validation loss");

        // The restored model's loss on the held-out rows, recomputed here: the same permutation (seed 0) puts them last.
        TrainingSource again = TrainingSource.FromArrays(features, labels);
        int[] order = Permutation(features.Length, seed: 0);
        double squares = 0;
        for (int k = 120; k < 160; k++)
        {
            int row = order[k];
            float prediction;
            using (Autograd.NoGrad())
            {
                prediction = model.Forward(Tensor.Wrap(features[row], [1, 8])).Data[0];
            }

            squares += Math.Pow(prediction - labels[row], 2);
        }

        Assert.Equal(validation.Min(), squares / 40, 1e-4);
        Assert.Equal(8, again.FeatureCount);
    }

    /// <summary>The order <see cref="FastRandom.Shuffle{T}"/> puts 0 .. n-1 in, which training applies to the rows.</summary>
    private static int[] Permutation(int n, int seed)
    {
        int[] order = [.. Enumerable.Range(0, n)];
        new FastRandom(seed).Shuffle(order.AsSpan());
        return order;
    }

    [Fact]
    public void ALinearModelWithDerivedRateAndAdaptiveBatchesReachesTheLeastSquaresSolution()
    {
        RegressionData data = RegressionData.Generate(1_000, [2f, -1f, 0.5f], 0.75f, 0.3f, seed: 3);
        var model = new LinearModel(3);
        var trainer = new ModuleTrainer(new TrainerSettings
        {
            Optimizer = OptimizerSettings.Sgd(),
            LearningRateSchedule = LearningRateSchedule.Adaptive,
            NumberOfEpochs = 1000,
            ConvergenceTolerance = 1e-9f,
            Patience = 2,
        });
        TrainingResult result = trainer.Fit(model, new MeanSquaredErrorLoss(), TrainingSource.FromArrays(data.Features, data.Labels));

        (double[] weights, double bias) = LeastSquares.Solve(data.Features, data.Labels);
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(weights[j], model.Weights.Data[j], 1e-4 * Math.Abs(weights[j]));
        }

        Assert.Equal(bias, model.Bias.Data[0], 1e-4);
        Assert.Equal(TrainingStopReason.Converged, result.History.StopReason);
        Assert.True(result.History.Epochs[^1].BatchSize > 256, "the adaptive schedule should have grown the batch");
    }

    [Fact]
    public void TheCosineScheduleSetsEveryStepsRateByTheAnnealingFormula()
    {
        RegressionData data = RegressionData.Generate(200, [1f], 0f, 0.1f, seed: 5);
        const float Rate = 0.05f;
        const int Epochs = 6;
        const int StepsPerEpoch = 4; // 200 rows in batches of 50.
        var trainer = new ModuleTrainer(new TrainerSettings
        {
            Optimizer = OptimizerSettings.Sgd(), LearningRate = Rate, BatchSize = 50, NumberOfEpochs = Epochs, Patience = 0,
            LearningRateSchedule = LearningRateSchedule.Cosine,
        });
        TrainingResult result = trainer.Fit(new LinearModel(1), new MeanSquaredErrorLoss(), TrainingSource.FromArrays(data.Features, data.Labels));

        // Each report carries the rate of its epoch's last step t = e * 4 - 1 of T = 24: lr (1 + cos(pi t / T)) / 2.
        for (int e = 1; e <= Epochs; e++)
        {
            int step = (e * StepsPerEpoch) - 1;
            double expected = Rate * 0.5 * (1 + Math.Cos(Math.PI * step / (Epochs * StepsPerEpoch)));
            Assert.Equal(expected, result.History.Epochs[e - 1].LearningRate, 1e-7);
        }
    }

    [Fact]
    public void FittingTheSameSourceTwiceGivesTheSameModel()
    {
        RegressionData data = RegressionData.Generate(700, [1f, -2f, 0.5f, 0f], 0.2f, 0.5f, seed: 8);
        TrainingSource source = TrainingSource.FromArrays(data.Features, data.Labels);
        var settings = new TrainerSettings { NumberOfEpochs = 15, BatchSize = 64, ValidationFraction = 0.2f, Seed = 4 };

        var first = new Mlp(4, [8], 1, seed: 2);
        new ModuleTrainer(settings).Fit(first, new MeanSquaredErrorLoss(), source);
        var second = new Mlp(4, [8], 1, seed: 2);
        new ModuleTrainer(settings).Fit(second, new MeanSquaredErrorLoss(), source);
        var fresh = new Mlp(4, [8], 1, seed: 2);
        new ModuleTrainer(settings).Fit(fresh, new MeanSquaredErrorLoss(), TrainingSource.FromArrays(data.Features, data.Labels));

        for (int i = 0; i < first.Parameters().Count; i++)
        {
            Assert.Equal(first.Parameters()[i].ToArray(), second.Parameters()[i].ToArray());
            Assert.Equal(first.Parameters()[i].ToArray(), fresh.Parameters()[i].ToArray());
        }
    }

    [Fact]
    public void ShufflingTheRowsInPlacePutsAtEachPlaceTheRowAnIndexShufflePutsThere()
    {
        const int Rows = 1_000;
        float[][] features = [.. Enumerable.Range(0, Rows).Select(i => new[] { i, -i, i * 0.5f })];
        float[] labels = [.. Enumerable.Range(0, Rows).Select(i => (float)i)];
        float[] weights = [.. Enumerable.Range(0, Rows).Select(i => 1f + i)];
        var source = (DenseTrainingSource)TrainingSource.FromArrays(features, labels, weights);
        source.Shuffle(new FastRandom(13));

        int[] order = Permutation(Rows, 13);
        BatchPlan plan = source.Plan(Rows);
        ReadOnlySpan<float> x = plan[0].Features!.Data;
        for (int i = 0; i < Rows; i++)
        {
            Assert.Equal(order[i], source.Labels[i]);
            Assert.Equal(order[i] + 1f, plan[0].Weights!.Data[i]);
            Assert.Equal([order[i], -order[i], order[i] * 0.5f], x.Slice(i * 3, 3).ToArray());
        }
    }

    [Fact]
    public void AStandardisationPendingWhenTheRowsAreShuffledIsAppliedToEveryRowOnce()
    {
        float[][] features = [.. Enumerable.Range(0, 300).Select(i => new[] { i, 10f })];
        float[] labels = new float[300];
        var source = (DenseTrainingSource)TrainingSource.FromArrays(features, labels);
        source.Standardize(new FeatureTransform([1f, 10f], [2f, 1f]));
        source.Shuffle(new FastRandom(2));

        int[] order = Permutation(300, 2);
        ReadOnlySpan<float> x = source.Plan(300)[0].Features!.Data;
        for (int i = 0; i < 300; i++)
        {
            Assert.Equal((order[i] - 1f) * 2f, x[i * 2]);
            Assert.Equal(0f, x[(i * 2) + 1]);
        }
    }

    [Fact]
    public void ARelativeMinimumDeltaStopsAValidationLossThatKeepsCreepingDown()
    {
        // A linear model on clean data: its validation loss falls for many epochs, by ever smaller fractions.
        RegressionData data = RegressionData.Generate(2_000, [1f, -2f, 0.5f], 0.3f, 0.5f, seed: 12);
        TrainingResult Train(float relative) => new ModuleTrainer(new TrainerSettings
        {
            Optimizer = OptimizerSettings.Sgd(), LearningRate = 0.002f, NumberOfEpochs = 300, Patience = 0, ValidationFraction = 0.2f,
            EarlyStopping = new EarlyStopping { Patience = 3, MinRelativeDelta = relative },
        }).Fit(new LinearModel(3), new MeanSquaredErrorLoss(), TrainingSource.FromArrays(data.Features, data.Labels));

        TrainingResult any = Train(0f);
        TrainingResult onePercent = Train(0.01f);
        Assert.True(onePercent.History.EpochsRun < any.History.EpochsRun, $"{onePercent.History.EpochsRun} epochs against {any.History.EpochsRun}");
        Assert.Equal(TrainingStopReason.EarlyStopped, onePercent.History.StopReason);

        // Where it stopped, the last 3 epochs each improved on the best before them by less than 1% of it.
        float[] validation = onePercent.History.ValidationLosses();
        int best = onePercent.History.RestoredEpoch ?? onePercent.History.EpochsRun;
        for (int epoch = best + 1; epoch <= onePercent.History.EpochsRun; epoch++)
        {
            Assert.True(validation[epoch - 1] >= validation[best - 1] * 0.99f, $"epoch {epoch}: {validation[epoch - 1]} against the best {validation[best - 1]}");
        }

        Assert.Equal("MinRelativeDelta", Assert.Throws<ArgumentOutOfRangeException>(() => new ModuleTrainer(new TrainerSettings { EarlyStopping = new EarlyStopping { MinRelativeDelta = -1f } })).ParamName);
    }

    [Fact]
    public void BadSourcesAndSettingsAreRefusedNamingWhatIsWrong()
    {
        Assert.Contains("Row 1 has 1 features", Assert.Throws<ArgumentException>(() => TrainingSource.FromArrays([[1f, 2f], [1f]], [0f, 1f])).Message);
        Assert.Contains("3 rows of features, 2 labels", Assert.Throws<ArgumentException>(() => TrainingSource.FromArrays([[1f], [2f], [3f]], [0f, 1f])).Message);
        Assert.Contains("Row 1 holds a NaN or infinite feature", Assert.Throws<ArgumentException>(() => TrainingSource.FromArrays([[1f], [float.NaN]], [0f, 1f])).Message);
        Assert.Contains("Row 0 has the example weight 0", Assert.Throws<ArgumentException>(() => TrainingSource.FromArrays([[1f], [2f]], [0f, 1f], [0f, 1f])).Message);
        Assert.Equal("BatchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new ModuleTrainer(new TrainerSettings { BatchSize = 0 })).ParamName);
        Assert.Equal("ValidationFraction", Assert.Throws<ArgumentOutOfRangeException>(() => new ModuleTrainer(new TrainerSettings { ValidationFraction = 1f })).ParamName);

        var trainer = new ModuleTrainer(new TrainerSettings { EarlyStopping = new EarlyStopping() });
        var error = Assert.Throws<InvalidOperationException>(() => trainer.Fit(new LinearModel(1), new MeanSquaredErrorLoss(), TrainingSource.FromArrays([[1f], [2f]], [0f, 1f])));
        Assert.Contains("EarlyStopping needs validation data", error.Message);
    }

    [Theory]
    [InlineData(3f, false)]     // a network's spike below where training started: training goes on
    [InlineData(1000f, true)]   // back above the initial loss: diverged
    public void ANetworksLossSpikeBelowItsInitialLossIsNotDivergence(float spike, bool diverges)
    {
        RegressionData data = RegressionData.Generate(100, [1f, -2f, 0.5f], 0.5f, 0.2f, seed: 3);
        var loss = new SpikingLoss();
        var settings = new TrainerSettings
        {
            NumberOfEpochs = 120,
            BatchSize = TrainerSettings.FullBatch,
            LearningRate = 0.01f,
            Patience = 2,
            Progress = new SynchronousProgress(report => loss.Factor = report.Epoch is >= 59 and < 62 ? spike : 1f),
        };
        var model = new Mlp(3, [8], 1, seed: 2);
        Func<TrainingResult> fit = () => new ModuleTrainer(settings).Fit(model, loss, TrainingSource.FromArrays(data.Features, data.Labels));
        if (diverges)
        {
            var error = Assert.Throws<InvalidOperationException>(fit);
            Assert.Contains("far above its best", error.Message, StringComparison.Ordinal);
            return;
        }

        TrainingResult result = fit();
        float[] losses = result.History.TrainingLosses();
        Assert.True(losses[59] > 2 * losses[58], $"the spike must reach the rising-loss check: {losses[58]:G4} -> {losses[59]:G4}");
        Assert.True(result.History.EpochsRun > 62, $"training stopped at epoch {result.History.EpochsRun}, in the spike");
        Assert.True(losses[^1] < losses[58], "training goes on and improves after the spike");
    }

    [Fact]
    public void AnAffineModelsRisingLossAtAPlateauIsStillDivergence()
    {
        RegressionData data = RegressionData.Generate(100, [1f, -2f, 0.5f], 0.5f, 0.2f, seed: 3);
        var loss = new SpikingLoss();
        var settings = new TrainerSettings
        {
            NumberOfEpochs = 120,
            BatchSize = TrainerSettings.FullBatch,
            Optimizer = OptimizerSettings.Sgd(),
            Patience = 2,
            Progress = new SynchronousProgress(report => loss.Factor = report.Epoch is >= 59 and < 62 ? 3f : 1f),
        };
        var error = Assert.Throws<InvalidOperationException>(() =>
            new ModuleTrainer(settings).Fit(new LinearModel(3), loss, TrainingSource.FromArrays(data.Features, data.Labels)));
        Assert.Contains("far above its best", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The mean squared error times <see cref="Factor"/>, which a test changes between epochs to make the loss spike.</summary>
    private sealed class SpikingLoss : Loss
    {
        private readonly MeanSquaredErrorLoss _inner = new();

        internal float Factor { get; set; } = 1f;

        public override Tensor<float> Compute(Tensor<float> predictions, Tensor<float> targets, Tensor<float>? weights = null) =>
            _inner.Compute(predictions, targets, weights) * Factor;
    }

    /// <summary>An <see cref="IProgress{T}"/> called on the training thread right after each epoch (unlike <see cref="Progress{T}"/>).</summary>
    private sealed class SynchronousProgress(Action<EpochReport> report) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => report(value);
    }
}
