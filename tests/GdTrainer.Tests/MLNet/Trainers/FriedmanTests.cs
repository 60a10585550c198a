namespace GdTrainer.Tests.MLNet;

using System.Diagnostics;
using GdTrainer.MLNet;
using GdTrainer.Training;
using Microsoft.ML;
using Xunit.Abstractions;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// Issue 9's headline: on Friedman #1 (nonlinear, 5 irrelevant features, noise sd 1) an MLP reaches what no linear model can.
/// The best possible test R² is about 0.96 (the noise variance 1 against a label variance of about 25).
/// </summary>
public sealed class FriedmanTests(ITestOutputHelper output)
{
    [Fact]
    public void AnMlpReachesRSquared095WhereOurLinearModelAndSdcaStayNear075()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] trainX, float[] trainY, _) = TrainingTestData.Friedman1(20_000, seed: 11);
        (float[][] testX, float[] testY, _) = TrainingTestData.Friedman1(5_000, seed: 12);
        IDataView train = TrainingTestData.View(mlContext, trainX, trainY);
        IDataView test = TrainingTestData.View(mlContext, testX, testY);

        var watch = Stopwatch.StartNew();
        // The smallest configuration found that clears 0.95 with a margin: [64, 64] at Adam's default 1e-3 and a constant rate
        // needs ~40 epochs and ends at 0.9535 +- 0.002 (epoch-to-epoch noise); [32, 32] with batch 128, rate 5e-3 and cosine
        // annealing (which removes that noise at the end) ends at 0.954 after 15 epochs, ~1/10 of the work.
        GradientDescentRegressionTransformer mlp = mlContext.Regression.Trainers.GradientDescent(new Options
        {
            HiddenLayers = [32, 32],
            BatchSize = 128,
            LearningRate = 5e-3f,
            LearningRateScheduler = SchedulerSettings.Cosine(),
            NumberOfEpochs = 15,
            Patience = 0,
            Seed = 1,
        }).Fit(train);
        TimeSpan mlpTime = watch.Elapsed;
        double mlpR2 = TrainingTestData.RSquared(testY, TrainingTestData.Scores(mlp, test));

        GradientDescentRegressionTransformer linear = mlContext.Regression.Trainers.GradientDescent(new Options { Seed = 1 }).Fit(train);
        double linearR2 = TrainingTestData.RSquared(testY, TrainingTestData.Scores(linear, test));

        ITransformer sdca = mlContext.Regression.Trainers.Sdca(labelColumnName: "Label", featureColumnName: "Features").Fit(train);
        double sdcaR2 = TrainingTestData.RSquared(testY, TrainingTestData.Scores(sdca, test));

        output.WriteLine($"MLP [32, 32] R² {mlpR2:F4} in {mlpTime.TotalSeconds:F2} s ({mlp.Model.EpochsRun} epochs, {mlp.Model.StopReason}); linear R² {linearR2:F4}; SDCA R² {sdcaR2:F4}");
        Assert.InRange(linearR2, 0.65, 0.8);
        Assert.InRange(sdcaR2, 0.65, 0.8);
        Assert.True(mlpR2 >= 0.95, $"The MLP's test R² is {mlpR2:F4}, below 0.95 (linear {linearR2:F4}, SDCA {sdcaR2:F4}).");
    }
}
