namespace GdTrainer.Tests.MLNet;

using GdTrainer.Autograd;
using GdTrainer.MLNet;
using GdTrainer.Training;
using Microsoft.ML;
using Xunit.Abstractions;
using static GdTrainer.Tests.Autograd.TestTensors;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>A user-written loss subclass (<see cref="PinballLoss"/>) passes a gradcheck and trains through the ML.NET trainer.</summary>
public sealed class CustomLossTests(ITestOutputHelper output)
{
    [Fact]
    public void ThePinballLossGradientPassesGradCheckAndHasTheClosedForm()
    {
        // Residuals away from the kink at 0, where the loss is not differentiable.
        var predictions = Tensor.From<double>([-1.5, -0.2, 0.3, 0.9, 2.0, 4.0], requiresGrad: true);
        var targets = Tensor.From<double>([0.5, -1.0, 1.3, 0.1, 2.5, 1.0]);
        AssertGradCheck(t => PinballLoss.Pointwise(t[0], targets, 0.9).Mean(), predictions);
        AssertGradCheck(t => PinballLoss.Pointwise(t[0], targets, 0.25).Mean(), predictions);

        // d/dp mean(pinball) = -tau / n where y > p, (1 - tau) / n where y < p.
        var p = Tensor.From<float>([0f, 2f, -1f, 5f], requiresGrad: true);
        var y = Tensor.From<float>([1f, 1f, 1f, 1f]);
        new PinballLoss(0.9f).Compute(p, y).Backward();
        AssertClose([-0.9 / 4, 0.1 / 4, -0.9 / 4, 0.1 / 4], Array.ConvertAll(p.Grad!.ToArray(), g => (double)g), 1e-7);
    }

    [Fact]
    public void ThePinballLossTrainsThroughTheTrainerToTheNinetiethPercentile()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] trainX, float[] trainY) = Heteroscedastic(4_000, seed: 51);
        (float[][] testX, float[] testY) = Heteroscedastic(4_000, seed: 52);
        GradientDescentRegressionTransformer model = mlContext.Regression.Trainers.GradientDescent(new Options
        {
            Loss = new PinballLoss(0.9f),
            Optimizer = OptimizerSettings.Adam(),
            LearningRate = 1e-2f,
            NumberOfEpochs = 100,
            Seed = 1,
        }).Fit(TrainingTestData.View(mlContext, trainX, trainY));

        float[] scores = TrainingTestData.Scores(model, TrainingTestData.View(mlContext, testX, testY));
        double below = 0;
        for (int i = 0; i < testY.Length; i++)
        {
            below += testY[i] < scores[i] ? 1 : 0;
        }

        double fraction = below / testY.Length;
        // The true 90% quantile line: 1 + 2 x + 1.2816 (0.5 + 0.5 x) for x in [0, 2), a steeper slope than the mean's.
        output.WriteLine($"{fraction:P2} of held-out labels below the fit; weight {model.Model.Weights[0]} (truth 2.6408), bias {model.Model.Bias} (truth 1.6408), {model.Model.EpochsRun} epochs");
        Assert.InRange(fraction, 0.88, 0.92);
        Assert.Equal(2.6408, model.Model.Weights[0], 0.1);
        Assert.Equal(1.6408, model.Model.Bias, 0.1);
    }

    /// <summary>y = 1 + 2 x + (0.5 + 0.5 x) N(0, 1), x uniform in [0, 2).</summary>
    private static (float[][] X, float[] Y) Heteroscedastic(int rows, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows][];
        var y = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            float v = (float)(2 * random.NextDouble());
            x[i] = [v];
            y[i] = (float)(1 + (2 * v) + ((0.5 + (0.5 * v)) * TrainingTestData.Gaussian(random)));
        }

        return (x, y);
    }
}
