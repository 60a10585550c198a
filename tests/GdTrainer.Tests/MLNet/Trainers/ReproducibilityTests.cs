namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Models;
using Microsoft.ML;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>Same data, options and seed: a bit-identical model, MLPs with dropout included; another seed gives another model.</summary>
public sealed class ReproducibilityTests
{
    [Theory]
    [InlineData(0f)]
    [InlineData(0.2f)]
    public void TheSameSeedGivesABitIdenticalMlpAndAnotherSeedDoesNot(float dropout)
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] x, float[] y, _) = TrainingTestData.Friedman1(1_000, seed: 61);
        IDataView data = TrainingTestData.View(mlContext, x, y);

        float[] first = Parameters(Train(mlContext, data, dropout, seed: 5));
        float[] second = Parameters(Train(mlContext, data, dropout, seed: 5));
        float[] other = Parameters(Train(mlContext, data, dropout, seed: 6));

        Assert.Equal(first.Length, second.Length);
        for (int i = 0; i < first.Length; i++)
        {
            // Bitwise, not within a tolerance: NaN-safe and -0 != +0.
            Assert.Equal(BitConverter.SingleToInt32Bits(first[i]), BitConverter.SingleToInt32Bits(second[i]));
        }

        int differing = 0;
        for (int i = 0; i < first.Length; i++)
        {
            differing += first[i] != other[i] ? 1 : 0;
        }

        Assert.True(differing > first.Length / 2, $"Only {differing} of {first.Length} parameters differ between seeds 5 and 6.");
    }

    private static GradientDescentRegressionTransformer Train(MLContext mlContext, IDataView data, float dropout, int seed) =>
        mlContext.Regression.Trainers.GradientDescent(new Options
        {
            HiddenLayers = [16, 8],
            Dropout = dropout,
            NumberOfEpochs = 5,
            BatchSize = 32,
            ValidationFraction = 0.2f,
            Seed = seed,
        }).Fit(data);

    private static float[] Parameters(GradientDescentRegressionTransformer model)
    {
        var values = new List<float>();
        foreach (DenseLayer layer in model.Model.Layers)
        {
            values.AddRange(layer.Weights.ToArray());
            values.AddRange(layer.Bias.ToArray());
        }

        Assert.Equal(3, model.Model.Layers.Count);
        return [.. values, .. model.Model.History.TrainingLosses(), .. model.Model.History.ValidationLosses()];
    }
}
