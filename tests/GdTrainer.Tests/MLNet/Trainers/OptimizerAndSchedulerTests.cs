namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Optimizers;
using GdTrainer.Training;
using Microsoft.ML;
using Xunit.Abstractions;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>Every optimizer and scheduler recipe trains an MLP through the trainer; the scheduled rates follow their closed forms.</summary>
public sealed class OptimizerAndSchedulerTests(ITestOutputHelper output)
{
    private const int Rows = 512;
    private const int BatchSize = 32;
    private const int StepsPerEpoch = Rows / BatchSize;

    public static TheoryData<string> OptimizerNames => ["SGD", "SGD momentum", "SGD Nesterov", "Adam", "Adam AMSGrad", "AdamW", "RMSprop", "RMSprop centered", "Adagrad", "Custom"];

    public static TheoryData<string> SchedulerNames => ["StepDecay", "Exponential", "Cosine", "WarmupCosine", "ReduceOnPlateau", "Custom"];

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void EachOptimizerTrainsAnMlpWellBelowTheLabelVariance(string name)
    {
        (OptimizerSettings settings, float rate) = name switch
        {
            "SGD" => (OptimizerSettings.Sgd(), 0.1f),
            "SGD momentum" => (OptimizerSettings.Sgd(momentum: 0.9f), 0.02f),
            "SGD Nesterov" => (OptimizerSettings.Sgd(momentum: 0.9f, nesterov: true), 0.02f),
            "Adam" => (OptimizerSettings.Adam(), 1e-2f),
            "Adam AMSGrad" => (OptimizerSettings.Adam(amsgrad: true), 1e-2f),
            "AdamW" => (OptimizerSettings.AdamW(weightDecay: 1e-4f), 1e-2f),
            "RMSprop" => (OptimizerSettings.RmsProp(), 3e-3f),
            "RMSprop centered" => (OptimizerSettings.RmsProp(centered: true), 3e-3f),
            "Adagrad" => (OptimizerSettings.Adagrad(), 0.1f),
            "Custom" => (OptimizerSettings.Custom("my SGD", (groups, lr) => new SgdOptimizer(groups, lr, 0f, 0.5f)), 0.05f),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        double relative = TrainAndMeasure(new Options { Optimizer = settings, LearningRate = rate }, out TrainingHistory history);
        output.WriteLine($"{name}: final MSE / label variance {relative:F4} after {history.EpochsRun} epochs");
        Assert.True(relative < 0.02, $"{name}: the MLP's training MSE is {relative:P1} of the label variance.");
    }

    [Theory]
    [MemberData(nameof(SchedulerNames))]
    public void EachSchedulerTrainsAnMlpWellBelowTheLabelVariance(string name)
    {
        SchedulerSettings settings = name switch
        {
            "StepDecay" => SchedulerSettings.StepDecay(10, 0.5f),
            "Exponential" => SchedulerSettings.Exponential(0.97f),
            "Cosine" => SchedulerSettings.Cosine(),
            "WarmupCosine" => SchedulerSettings.WarmupCosine(2),
            "ReduceOnPlateau" => SchedulerSettings.ReduceOnPlateau(0.5f, patience: 2, threshold: 0.05f), // Less than 5% better counts as no better.
            "Custom" => SchedulerSettings.Custom("my step", (optimizer, _) => new StepScheduler(optimizer, 15, 0.3f)),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        double relative = TrainAndMeasure(new Options { LearningRate = 1e-2f, LearningRateScheduler = settings }, out TrainingHistory history);
        output.WriteLine($"{name}: final MSE / label variance {relative:F4}; rates {history.Epochs[0].LearningRate} .. {history.Epochs[^1].LearningRate}");
        Assert.True(relative < 0.02, $"{name}: the MLP's training MSE is {relative:P1} of the label variance.");
        Assert.True(history.Epochs[^1].LearningRate < 1e-2f, $"{name}: the rate never went down ({history.Epochs[^1].LearningRate}).");
    }

    [Fact]
    public void StepDecayAndExponentialRatesInTheHistoryFollowTheClosedForm()
    {
        TrainAndMeasure(new Options { LearningRate = 0.02f, LearningRateScheduler = SchedulerSettings.StepDecay(3, 0.5f), NumberOfEpochs = 10 }, out TrainingHistory step);
        TrainAndMeasure(new Options { LearningRate = 0.02f, LearningRateScheduler = SchedulerSettings.Exponential(0.8f), NumberOfEpochs = 10 }, out TrainingHistory exponential);
        Assert.Equal(10, step.EpochsRun);
        for (int e = 1; e <= 10; e++)
        {
            // The rate an epoch trained at: halved after epochs 3, 6 and 9.
            Assert.Equal(0.02 * Math.Pow(0.5, (e - 1) / 3), step.Epochs[e - 1].LearningRate, 1e-8);
            Assert.Equal(0.02 * Math.Pow(0.8, e - 1), exponential.Epochs[e - 1].LearningRate, 1e-7);
        }
    }

    [Fact]
    public void ReduceOnPlateauRatesFollowPyTorchsRuleOverTheValidationLosses()
    {
        const float factor = 0.5f, threshold = 0.01f;
        const int patience = 1;
        TrainAndMeasure(new Options
        {
            LearningRate = 0.05f,
            LearningRateScheduler = SchedulerSettings.ReduceOnPlateau(factor, patience, threshold),
            ValidationFraction = 0.25f,
            NumberOfEpochs = 25,
        }, out TrainingHistory history);

        // PyTorch's ReduceLROnPlateau (mode min, relative threshold, no cooldown), stepped with each epoch's validation loss.
        double rate = 0.05, best = double.PositiveInfinity;
        int bad = 0, reductions = 0;
        foreach (EpochReport epoch in history.Epochs)
        {
            Assert.Equal(rate, epoch.LearningRate, rate * 1e-6);
            if (epoch.ValidationLoss < best * (1 - threshold))
            {
                best = epoch.ValidationLoss;
                bad = 0;
            }
            else if (++bad > patience)
            {
                rate *= factor;
                bad = 0;
                reductions++;
            }
        }

        Assert.True(reductions >= 2, $"Only {reductions} reductions in {history.EpochsRun} epochs: the test does not exercise the rule.");
    }

    [Fact]
    public void PerBatchCosineRatesInTheHistoryAreThoseOfEachEpochsLastStep()
    {
        const int epochs = 6;
        const double baseRate = 0.02, minimum = 0.001;
        TrainAndMeasure(new Options { LearningRate = (float)baseRate, LearningRateScheduler = SchedulerSettings.Cosine((float)minimum), NumberOfEpochs = epochs }, out TrainingHistory history);
        const int total = epochs * StepsPerEpoch;
        for (int e = 1; e <= epochs; e++)
        {
            int lastStep = (e * StepsPerEpoch) - 1; // 0-based index of the epoch's last step
            double expected = minimum + ((baseRate - minimum) * (1 + Math.Cos(Math.PI * lastStep / total)) / 2);
            Assert.Equal(expected, history.Epochs[e - 1].LearningRate, 1e-7);
        }
    }

    /// <summary>Trains an MLP [32] on <see cref="SmallProblem"/> and returns its training MSE (from its layers, in double) over the label variance.</summary>
    private static double TrainAndMeasure(Options options, out TrainingHistory history)
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] x, float[] y) = SmallProblem.Generate(Rows, seed: 81);
        options.HiddenLayers = [32];
        options.BatchSize = BatchSize;
        options.NumberOfEpochs ??= 60;
        options.Patience = 0;
        options.Seed = 4;
        GradientDescentRegressionTransformer model = mlContext.Regression.Trainers.GradientDescent(options).Fit(TrainingTestData.View(mlContext, x, y));
        history = model.Model.History;
        return DenseReference.MeanSquaredError(model.Model.Layers, x, y) / SmallProblem.Variance(y);
    }
}
