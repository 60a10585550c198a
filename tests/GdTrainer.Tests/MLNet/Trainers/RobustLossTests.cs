namespace GdTrainer.Tests.MLNet;

using GdTrainer.Losses;
using GdTrainer.MLNet;
using Microsoft.ML;
using Xunit.Abstractions;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>Huber loss through the ML.NET trainer: gross label outliers pull a least-squares fit away, not a Huber fit.</summary>
public sealed class RobustLossTests(ITestOutputHelper output)
{
    [Fact]
    public void HuberLossIsAtLeastTwiceAsCloseToTheCleanFunctionAsMseWithTenPercentGrossOutliers()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] trainX, float[] trainY, _) = Linear(2_000, seed: 5, outlierEvery: 10);
        (float[][] testX, _, double[] testClean) = Linear(1_000, seed: 6, outlierEvery: 0);
        IDataView train = TrainingTestData.View(mlContext, trainX, trainY);
        IDataView test = TrainingTestData.View(mlContext, testX, new float[testX.Length]);

        GradientDescentRegressionTransformer mse = mlContext.Regression.Trainers.GradientDescent(new Options { Seed = 1 }).Fit(train);
        GradientDescentRegressionTransformer huber = mlContext.Regression.Trainers.GradientDescent(new Options { Loss = new HuberLoss(1f), Seed = 1 }).Fit(train);

        double mseRmse = TrainingTestData.Rmse(TrainingTestData.Scores(mse, test), testClean);
        double huberRmse = TrainingTestData.Rmse(TrainingTestData.Scores(huber, test), testClean);
        output.WriteLine($"RMSE against the clean function: MSE {mseRmse:F4}, Huber {huberRmse:F4} (ratio {mseRmse / huberRmse:F1}); Huber weights [{string.Join(", ", huber.Model.Weights)}] bias {huber.Model.Bias}");
        Assert.True(huberRmse * 2 <= mseRmse, $"Huber's RMSE {huberRmse:F4} is not at least 2x below MSE's {mseRmse:F4}.");

        // And the Huber fit is the Huber M-estimate: the slopes of the truth, and an intercept shifted up by the outliers'
        // bounded pull. Each outlier's residual is beyond delta, so it pulls with the constant gradient delta = 1, while the
        // inliers (noise sd 0.3, inside delta) pull back linearly: 0.9 s = 0.1 * 1 gives the shift s = 1/9.
        Assert.Equal(2.0, huber.Model.Weights[0], 0.03);
        Assert.Equal(-1.0, huber.Model.Weights[1], 0.03);
        Assert.Equal(0.5, huber.Model.Weights[2], 0.03);
        Assert.Equal(1.0 + (1.0 / 9), huber.Model.Bias, 0.03);
    }

    /// <summary>y = 1 + 2 x1 - x2 + 0.5 x3 + N(0, 0.3^2), x ~ N(0, 1); every <paramref name="outlierEvery"/>-th label gets +30.</summary>
    private static (float[][] X, float[] Y, double[] Clean) Linear(int rows, int seed, int outlierEvery)
    {
        var random = new Random(seed);
        var x = new float[rows][];
        var y = new float[rows];
        var clean = new double[rows];
        for (int i = 0; i < rows; i++)
        {
            x[i] = [(float)TrainingTestData.Gaussian(random), (float)TrainingTestData.Gaussian(random), (float)TrainingTestData.Gaussian(random)];
            clean[i] = 1 + (2.0 * x[i][0]) - x[i][1] + (0.5 * x[i][2]);
            y[i] = (float)(clean[i] + (0.3 * TrainingTestData.Gaussian(random)) + (outlierEvery > 0 && i % outlierEvery == 0 ? 30 : 0));
        }

        return (x, y, clean);
    }
}
