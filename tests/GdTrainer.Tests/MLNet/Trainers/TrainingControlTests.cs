namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Training;
using Microsoft.ML;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>Gradient clipping, progress reports and the folding of the standardisation into the first layer.</summary>
public sealed class TrainingControlTests
{
    [Fact]
    public void MaxGradientNormClipsTheFirstFullBatchStepToExactlyThatLength()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] x, float[] y) = SmallProblem.Generate(200, seed: 91);
        const double maxNorm = 0.05;
        GradientDescentRegressionTransformer model = mlContext.Regression.Trainers.GradientDescent(new Options
        {
            FeatureStandardization = FeatureStandardization.None,
            Optimizer = OptimizerSettings.Sgd(),
            LearningRate = 1f,
            BatchSize = Options.FullBatch,
            NumberOfEpochs = 1,
            MaxGradientNorm = (float)maxNorm,
        }).Fit(TrainingTestData.View(mlContext, x, y));

        // The linear model starts at zero; the MSE gradient there is -2/n sum(y_i [x_i, 1]), computed here in double.
        var gradient = new double[4];
        for (int i = 0; i < y.Length; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                gradient[j] -= 2.0 * y[i] * x[i][j] / y.Length;
            }

            gradient[3] -= 2.0 * y[i] / y.Length;
        }

        double norm = Math.Sqrt(gradient.Sum(g => g * g));
        Assert.True(norm > 10 * maxNorm, $"The gradient's norm {norm} must exceed the clip for the test to mean anything.");
        double[] step = [model.Model.Weights[0], model.Model.Weights[1], model.Model.Weights[2], model.Model.Bias];
        for (int j = 0; j < 4; j++)
        {
            Assert.Equal(-maxNorm * gradient[j] / norm, step[j], 1e-6);
        }
    }

    [Fact]
    public void AHugeLearningRateDivergesWithoutClippingAndStaysFiniteWithIt()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] x, float[] y) = SmallProblem.Generate(200, seed: 92);
        float[][] large = Array.ConvertAll(x, row => Array.ConvertAll(row, v => v * 100f));
        IDataView data = TrainingTestData.View(mlContext, large, y);
        Options Unstable(float? clip) => new()
        {
            FeatureStandardization = FeatureStandardization.None,
            Optimizer = OptimizerSettings.Sgd(),
            LearningRate = 1f,
            BatchSize = Options.FullBatch,
            NumberOfEpochs = 30,
            Patience = 0,
            MaxGradientNorm = clip,
        };

        var error = Assert.Throws<InvalidOperationException>(() => mlContext.Regression.Trainers.GradientDescent(Unstable(null)).Fit(data));
        Assert.Contains("diverged", error.Message, StringComparison.OrdinalIgnoreCase);

        GradientDescentRegressionTransformer clipped = mlContext.Regression.Trainers.GradientDescent(Unstable(0.001f)).Fit(data);
        Assert.Equal(30, clipped.Model.EpochsRun);
        Assert.All(clipped.Model.LossHistory, loss => Assert.True(float.IsFinite(loss)));
        Assert.True(clipped.Model.LossHistory[^1] < clipped.Model.LossHistory[0]);
    }

    [Fact]
    public void ProgressReceivesExactlyOneReportPerEpochEqualToTheHistory()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] x, float[] y) = SmallProblem.Generate(300, seed: 93);
        var progress = new RecordingProgress();
        GradientDescentRegressionTransformer model = mlContext.Regression.Trainers.GradientDescent(new Options
        {
            HiddenLayers = [8],
            NumberOfEpochs = 12,
            Patience = 0,
            ValidationFraction = 0.25f,
            Progress = progress,
            Seed = 1,
        }).Fit(TrainingTestData.View(mlContext, x, y));

        Assert.Equal(12, model.Model.EpochsRun);
        Assert.Equal(model.Model.History.Epochs, progress.Reports);
        Assert.Equal(Enumerable.Range(1, 12), progress.Reports.Select(r => r.Epoch));
        Assert.All(progress.Reports, r => Assert.True(r.HasValidationLoss && r.Elapsed > TimeSpan.Zero));
        Assert.Equal(progress.Reports.Select(r => r.Elapsed).Order(), progress.Reports.Select(r => r.Elapsed));
    }

    [Fact]
    public void TheStandardisationFoldsIntoTheFirstLayerSoScaledFeaturesGiveTheSameModelInRawUnits()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] x, float[] y) = SmallProblem.Generate(400, seed: 94);
        float[][] scaled = Array.ConvertAll(x, row => Array.ConvertAll(row, v => v * 1000f));
        Options Mlp() => new() { HiddenLayers = [16], NumberOfEpochs = 10, Seed = 3 };

        GradientDescentRegressionTransformer original = mlContext.Regression.Trainers.GradientDescent(Mlp()).Fit(TrainingTestData.View(mlContext, x, y));
        GradientDescentRegressionTransformer onScaled = mlContext.Regression.Trainers.GradientDescent(Mlp()).Fit(TrainingTestData.View(mlContext, scaled, y));

        float[] originalScores = TrainingTestData.Scores(original, TrainingTestData.View(mlContext, x, y));
        float[] scaledScores = TrainingTestData.Scores(onScaled, TrainingTestData.View(mlContext, scaled, y));
        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(originalScores[i], scaledScores[i], 1e-3);
        }

        // Layers[0] is in raw units: the weights of features 1000 times larger are 1000 times smaller, the biases the same.
        ReadOnlySpan<float> w = original.Model.Layers[0].Weights.Span;
        ReadOnlySpan<float> wScaled = onScaled.Model.Layers[0].Weights.Span;
        for (int k = 0; k < w.Length; k++)
        {
            Assert.Equal(w[k], wScaled[k] * 1000.0, Math.Max(1e-3 * Math.Abs(w[k]), 1e-4));
        }

        ReadOnlySpan<float> b = original.Model.Layers[0].Bias.Span;
        ReadOnlySpan<float> bScaled = onScaled.Model.Layers[0].Bias.Span;
        for (int k = 0; k < b.Length; k++)
        {
            Assert.Equal(b[k], bScaled[k], Math.Max(1e-3 * Math.Abs(b[k]), 1e-4));
        }

        // And the raw-unit layers reproduce the scores on raw features, computed here in double.
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(DenseReference.Predict(onScaled.Model.Layers, scaled[i]), scaledScores[i], 1e-4);
        }
    }

    /// <summary>Records reports synchronously (<see cref="Progress{T}"/> would post them to a thread-pool).</summary>
    private sealed class RecordingProgress : IProgress<EpochReport>
    {
        internal List<EpochReport> Reports { get; } = [];

        public void Report(EpochReport value) => Reports.Add(value);
    }
}
