namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Training;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>Early stopping on a validation set: stops an overfitting MLP, restores the best epoch, and says so in the log.</summary>
public sealed class EarlyStoppingTests
{
    private const int EpochLimit = 400;

    [Fact]
    public void AnOverfittingMlpStopsEarlyAndTheRestoredModelHasTheMinimumValidationLoss()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] trainX, float[] trainY) = Noisy(120, seed: 41);
        (float[][] validX, float[] validY) = Noisy(120, seed: 42);
        var logger = new CapturingLogger();
        var trainer = mlContext.Regression.Trainers.GradientDescent(Overfitting(logger));

        GradientDescentRegressionTransformer model = trainer.Fit(TrainingTestData.View(mlContext, trainX, trainY), TrainingTestData.View(mlContext, validX, validY));

        TrainingHistory history = model.Model.History;
        Assert.Equal(TrainingStopReason.EarlyStopped, history.StopReason);
        Assert.True(history.EpochsRun < EpochLimit, $"Training ran {history.EpochsRun} epochs, the whole limit.");
        float[] validation = history.ValidationLosses();
        int argmin = Array.IndexOf(validation, validation.Min()) + 1;
        Assert.Equal(argmin, history.RestoredEpoch);
        Assert.Equal(argmin + 5, history.EpochsRun); // Patience 5: five epochs without improvement after the best.

        // The returned model is the best epoch's: its validation loss, recomputed from its layers in double, is the minimum.
        double recomputed = DenseReference.MeanSquaredError(model.Model.Layers, validX, validY);
        Assert.Equal(validation.Min(), recomputed, Math.Abs(recomputed) * 1e-5);

        // It did overfit: the last epoch's validation loss is above the best.
        Assert.True(validation[^1] > validation.Min());

        // The log says so: every epoch event carries the validation loss, and the early-stop event names the best epoch.
        IReadOnlyList<CapturingLogger.LogEvent> epochs = logger.Events.Where(e => e.EventId.Name == "EpochCompleted").ToArray();
        Assert.Equal(history.EpochsRun, epochs.Count);
        for (int i = 0; i < epochs.Count; i++)
        {
            Assert.Equal(validation[i], Assert.IsType<float>(epochs[i].State["ValidationLoss"]));
        }

        CapturingLogger.LogEvent stopped = Assert.Single(logger.Events, e => e.EventId.Id == 6);
        Assert.Equal("EarlyStopped", stopped.EventId.Name);
        Assert.Equal(LogLevel.Information, stopped.Level);
        Assert.Contains(argmin.ToString(System.Globalization.CultureInfo.InvariantCulture), stopped.Message, StringComparison.Ordinal);
        Assert.Contains("restored", stopped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AValidationFractionStopsEarlyAndRestoresTheBestEpoch()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] x, float[] y) = Noisy(240, seed: 43);
        Options options = Overfitting(logger: null);
        options.ValidationFraction = 0.5f;

        GradientDescentRegressionTransformer model = mlContext.Regression.Trainers.GradientDescent(options).Fit(TrainingTestData.View(mlContext, x, y));

        TrainingHistory history = model.Model.History;
        Assert.Equal(TrainingStopReason.EarlyStopped, history.StopReason);
        float[] validation = history.ValidationLosses();
        Assert.All(validation, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(Array.IndexOf(validation, validation.Min()) + 1, history.RestoredEpoch);
        Assert.Contains("best epoch", history.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EarlyStoppingWithoutValidationDataIsAClearError()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] x, float[] y) = Noisy(50, seed: 44);
        var trainer = mlContext.Regression.Trainers.GradientDescent(new Options { HiddenLayers = [8], EarlyStopping = new EarlyStopping() });

        var error = Assert.Throws<InvalidOperationException>(() => trainer.Fit(TrainingTestData.View(mlContext, x, y)));
        Assert.Contains("EarlyStopping", error.Message, StringComparison.Ordinal);
        Assert.Contains("ValidationFraction", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FitWithValidationDataReportsTheLossOnThatData()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] trainX, float[] trainY) = Noisy(200, seed: 45);
        (float[][] validX, float[] validY) = Noisy(150, seed: 46);
        for (int i = 0; i < validY.Length; i++)
        {
            validY[i] += 3f; // Shifted: a loss on the training rows could not match it by chance.
        }

        var trainer = mlContext.Regression.Trainers.GradientDescent(new Options { HiddenLayers = [16], NumberOfEpochs = 7, Patience = 0, Seed = 3 });
        GradientDescentRegressionTransformer model = trainer.Fit(TrainingTestData.View(mlContext, trainX, trainY), TrainingTestData.View(mlContext, validX, validY));

        TrainingHistory history = model.Model.History;
        Assert.Equal(7, history.EpochsRun);
        Assert.Null(history.RestoredEpoch); // No early stopping: the last epoch's model is returned.
        double recomputed = DenseReference.MeanSquaredError(model.Model.Layers, validX, validY);
        Assert.Equal(history.Epochs[^1].ValidationLoss, recomputed, Math.Abs(recomputed) * 1e-5);
        Assert.True(history.Epochs[^1].ValidationLoss > 2 * history.Epochs[^1].TrainingLoss);
    }

    /// <summary>A wide MLP, a high rate, small batches and no convergence stop: it memorises 120 noisy rows.</summary>
    private static Options Overfitting(ILogger? logger) => new()
    {
        HiddenLayers = [128, 128],
        LearningRate = 3e-3f,
        BatchSize = 16,
        NumberOfEpochs = EpochLimit,
        Patience = 0,
        EarlyStopping = new EarlyStopping { Patience = 5 },
        Seed = 7,
        Logger = logger,
    };

    /// <summary>y = x1 + N(0, 1) with 8 features, 7 of them irrelevant: mostly noise to memorise.</summary>
    private static (float[][] X, float[] Y) Noisy(int rows, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows][];
        var y = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            x[i] = new float[8];
            for (int j = 0; j < 8; j++)
            {
                x[i][j] = (float)TrainingTestData.Gaussian(random);
            }

            y[i] = x[i][0] + (float)TrainingTestData.Gaussian(random);
        }

        return (x, y);
    }
}
