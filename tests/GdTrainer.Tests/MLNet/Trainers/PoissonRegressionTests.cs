namespace GdTrainer.Tests.MLNet;

using GdTrainer.Losses;
using GdTrainer.MLNet;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Trainers;
using Xunit.Abstractions;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// Poisson regression with <see cref="PoissonNegativeLogLikelihoodLoss"/> (PyTorch's default <c>log_input=True</c>: the model
/// predicts the log of the rate) on counts drawn from a log-linear truth.
/// </summary>
public sealed class PoissonRegressionTests(ITestOutputHelper output)
{
    private static readonly double[] s_trueWeights = [0.6, -0.4, 0.3];
    private const double TrueBias = 0.8;

    [Fact]
    public void CoefficientsAreWithinFivePercentOfTheTruthAndDevianceWithinOnePercentOfLbfgsPoisson()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] trainX, float[] trainY) = Counts(20_000, seed: 31);
        (float[][] testX, float[] testY) = Counts(5_000, seed: 32);
        IDataView train = TrainingTestData.View(mlContext, trainX, trainY);
        IDataView test = TrainingTestData.View(mlContext, testX, testY);

        GradientDescentRegressionTransformer ours = mlContext.Regression.Trainers.GradientDescent(new Options
        {
            Loss = new PoissonNegativeLogLikelihoodLoss(),
            Optimizer = OptimizerSettings.Adam(),
            LearningRate = 1e-2f,
            Seed = 1,
        }).Fit(train);
        output.WriteLine($"ours: weights [{string.Join(", ", ours.Model.Weights)}], bias {ours.Model.Bias}, {ours.Model.EpochsRun} epochs ({ours.Model.StopReason})");
        for (int j = 0; j < s_trueWeights.Length; j++)
        {
            Assert.True(Math.Abs(ours.Model.Weights[j] - s_trueWeights[j]) <= 0.05 * Math.Abs(s_trueWeights[j]),
                $"Weight {j} is {ours.Model.Weights[j]}, more than 5% from the truth {s_trueWeights[j]}.");
        }

        Assert.True(Math.Abs(ours.Model.Bias - TrueBias) <= 0.05 * TrueBias, $"The bias is {ours.Model.Bias}, more than 5% from the truth {TrueBias}.");

        var lbfgs = mlContext.Regression.Trainers.LbfgsPoissonRegression(new LbfgsPoissonRegressionTrainer.Options
        {
            L1Regularization = 0,
            L2Regularization = 0,
            OptimizationTolerance = 1e-8f,
        }).Fit(train);

        // Ours scores the log-rate, ML.NET's Poisson model the rate itself.
        double[] ourRates = Array.ConvertAll(TrainingTestData.Scores(ours, test), s => Math.Exp(s));
        double[] theirRates = Array.ConvertAll(TrainingTestData.Scores(lbfgs, test), s => (double)s);
        double ourDeviance = MeanPoissonDeviance(testY, ourRates);
        double theirDeviance = MeanPoissonDeviance(testY, theirRates);
        output.WriteLine($"held-out mean Poisson deviance: ours {ourDeviance:F6}, LbfgsPoissonRegression {theirDeviance:F6}, ratio {ourDeviance / theirDeviance:F5}");
        Assert.True(Math.Abs(ourDeviance / theirDeviance - 1) <= 0.01, $"Our deviance {ourDeviance:F6} is not within 1% of LbfgsPoissonRegression's {theirDeviance:F6}.");

        // The deviance of the truth itself bounds both from below, up to sampling noise.
        double trueDeviance = MeanPoissonDeviance(testY, Array.ConvertAll(testX, x => Math.Exp(LogRate(x))));
        Assert.InRange(ourDeviance, trueDeviance * 0.98, trueDeviance * 1.02);
    }

    /// <summary>
    /// Regression test: the non-full Poisson NLL is negative for these counts, and the plateau check took a loss above twice its
    /// negative best for a rising loss, so plain SGD with the default options stopped with a false "diverged" error at epoch 4.
    /// </summary>
    [Fact]
    public void TheDefaultOptionsAlsoReachTheTruthWithThePoissonLoss()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] x, float[] y) = Counts(20_000, seed: 33);
        GradientDescentRegressionTransformer ours = mlContext.Regression.Trainers.GradientDescent(new Options
        {
            Loss = new PoissonNegativeLogLikelihoodLoss(),
            Seed = 1,
        }).Fit(TrainingTestData.View(mlContext, x, y));
        output.WriteLine($"defaults: weights [{string.Join(", ", ours.Model.Weights)}], bias {ours.Model.Bias}, {ours.Model.EpochsRun} epochs ({ours.Model.StopReason})");
        for (int j = 0; j < s_trueWeights.Length; j++)
        {
            Assert.Equal(s_trueWeights[j], ours.Model.Weights[j], 0.05 * Math.Abs(s_trueWeights[j]));
        }

        Assert.Equal(TrueBias, ours.Model.Bias, 0.05 * TrueBias);
    }

    /// <summary>2 mean(y log(y / mu) - (y - mu)), with y log(y / mu) = 0 at y = 0.</summary>
    private static double MeanPoissonDeviance(float[] counts, double[] rates)
    {
        double sum = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            double y = counts[i];
            sum += 2 * ((y > 0 ? y * Math.Log(y / rates[i]) : 0) - (y - rates[i]));
        }

        return sum / counts.Length;
    }

    private static double LogRate(float[] x)
    {
        double eta = TrueBias;
        for (int j = 0; j < x.Length; j++)
        {
            eta += s_trueWeights[j] * x[j];
        }

        return eta;
    }

    /// <summary>x uniform in [-1, 1); y ~ Poisson(exp(0.8 + 0.6 x1 - 0.4 x2 + 0.3 x3)), drawn by Knuth's method.</summary>
    private static (float[][] X, float[] Y) Counts(int rows, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows][];
        var y = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            x[i] = [(float)((2 * random.NextDouble()) - 1), (float)((2 * random.NextDouble()) - 1), (float)((2 * random.NextDouble()) - 1)];
            double limit = Math.Exp(-Math.Exp(LogRate(x[i])));
            int k = 0;
            double product = random.NextDouble();
            while (product > limit)
            {
                k++;
                product *= random.NextDouble();
            }

            y[i] = k;
        }

        return (x, y);
    }
}
