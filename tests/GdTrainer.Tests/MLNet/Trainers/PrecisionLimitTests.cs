namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// Issue 22: training at the limits of float arithmetic. Data that a linear model fits exactly trains to the precision
/// floor and stops there as converged (not as "diverged"), and features on any finite scale that fits a float train to
/// the fit of the unscaled data (or fail with an error that names the slots and the scale), never to a silent bias-only model.
/// The expectations are computed independently: the exact labels, and R² of the unscaled data.
/// </summary>
public sealed class PrecisionLimitTests
{
    /// <summary>y = X w + b exactly (computed in double, stored as float), features uniform in [-2, 2], weights in [-3, 3].</summary>
    private static RegressionData ExactlyLinear(int rows, int features, int seed)
    {
        var random = new Random(seed);
        var weights = new double[features];
        for (int j = 0; j < features; j++)
        {
            weights[j] = (random.NextDouble() * 6) - 3;
        }

        var x = new float[rows][];
        var y = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            x[i] = new float[features];
            double label = 0.8;
            for (int j = 0; j < features; j++)
            {
                x[i][j] = (float)((random.NextDouble() * 4) - 2);
                label += weights[j] * x[i][j];
            }

            y[i] = (float)label;
        }

        return RegressionData.FromArrays(x, y);
    }

    /// <summary>The root mean squared error of the model's scores over the data and the labels' standard deviation, in double.</summary>
    private static (double Rmse, double LabelScale) RmseAndLabelScale(MLContext mlContext, ITransformer model, RegressionData data)
    {
        IDataView scored = model.Transform(data.ToDataView(mlContext));
        float[] scores = scored.GetColumn<float>("Score").ToArray();
        double squares = 0, sum = 0, sumOfSquares = 0;
        for (int i = 0; i < data.Rows; i++)
        {
            double residual = (double)scores[i] - data.Labels[i];
            squares += residual * residual;
            sum += data.Labels[i];
            sumOfSquares += (double)data.Labels[i] * data.Labels[i];
        }

        double mean = sum / data.Rows;
        return (Math.Sqrt(squares / data.Rows), Math.Sqrt((sumOfSquares / data.Rows) - (mean * mean)));
    }

    [Theory]
    [InlineData(2_000, 6)]
    [InlineData(2_000, 20)]
    [InlineData(2_000, 64)]
    [InlineData(200_000, 20)]
    public void ExactlyLinearDataTrainsToThePrecisionFloorWithDefaults(int rows, int features)
    {
        var mlContext = new MLContext(seed: 1);
        RegressionData data = ExactlyLinear(rows, features, seed: features);
        var model = mlContext.Regression.Trainers.GradientDescent().Fit(data.ToDataView(mlContext));

        (double rmse, double labelScale) = RmseAndLabelScale(mlContext, model, data);
        Assert.True(rmse < 1e-5 * labelScale, $"RMSE {rmse:G4} is not below 1e-5 of the label scale {labelScale:G4}");
        Assert.Equal(TrainingStopReason.Converged, model.Model.StopReason);
    }

    [Theory]
    [InlineData(2_000, 20, 400)]
    [InlineData(2_000, 64, 400)]
    [InlineData(200_000, 20, 60)]
    public void ExactlyLinearDataKeepsTrainingAtThePrecisionFloorWithoutAFalseDivergence(int rows, int features, int epochs)
    {
        var mlContext = new MLContext(seed: 1);
        RegressionData data = ExactlyLinear(rows, features, seed: features + 1);
        var model = mlContext.Regression.Trainers.GradientDescent(new Options { Patience = 0, NumberOfEpochs = epochs })
            .Fit(data.ToDataView(mlContext));

        (double rmse, double labelScale) = RmseAndLabelScale(mlContext, model, data);
        Assert.True(rmse < 1e-5 * labelScale, $"RMSE {rmse:G4} is not below 1e-5 of the label scale {labelScale:G4}");
        Assert.Equal(epochs, model.Model.EpochsRun);
        Assert.Equal(TrainingStopReason.EpochLimit, model.Model.StopReason);
    }

    /// <summary>Three features, label 2 x1 - 3 x2 + 0.5 x3 + 1 + noise 0.1; the stored features are x times <paramref name="scale"/>.</summary>
    private static RegressionData ScaledFeatures(double scale)
    {
        var random = new Random(22);
        const int Rows = 3_000;
        var x = new float[Rows][];
        var y = new float[Rows];
        for (int i = 0; i < Rows; i++)
        {
            double x1 = random.NextDouble(), x2 = random.NextDouble(), x3 = random.NextDouble();
            double noise = 0.1 * (random.NextDouble() - 0.5);
            x[i] = [(float)(x1 * scale), (float)(x2 * scale), (float)(x3 * scale)];
            y[i] = (float)((2 * x1) - (3 * x2) + (0.5 * x3) + 1 + noise);
        }

        return RegressionData.FromArrays(x, y);
    }

    private static double TrainingRSquared(double scale, FeatureStandardization standardization = FeatureStandardization.CenterAndScale)
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = ScaledFeatures(scale).ToDataView(mlContext);
        var model = mlContext.Regression.Trainers.GradientDescent(new Options { FeatureStandardization = standardization }).Fit(data);
        return mlContext.Regression.Evaluate(model.Transform(data)).RSquared;
    }

    [Theory]
    [InlineData(1e10)]
    [InlineData(1e15)]
    [InlineData(1e20)]
    [InlineData(1e30)]
    [InlineData(1e-20)]
    public void FeaturesOnAnyFiniteScaleReachTheFitOfTheUnscaledData(double scale)
    {
        double unscaled = TrainingRSquared(1);
        Assert.True(unscaled > 0.99, $"the unscaled data's R² is only {unscaled}");

        double scaled = TrainingRSquared(scale);
        Assert.True(Math.Abs(scaled - unscaled) <= 0.001, $"R² {scaled} at scale {scale:G3} against {unscaled} unscaled");
    }

    [Fact]
    public void FeaturesWhoseSpreadOverflowsAFloatFailNamingTheSlotAndTheScale()
    {
        var mlContext = new MLContext(seed: 1);
        var x = new float[100][];
        var y = new float[100];
        for (int i = 0; i < x.Length; i++)
        {
            // Slot 1 is near -3e38 in 95 rows and 3e38 in 5: the mean is near -2.7e38, and the 5 rows lie 5.7e38 from it,
            // beyond float, so the centred value cannot be stored.
            x[i] = [i, i % 20 == 0 ? 3e38f : -3e38f + (i * 1e36f)];
            y[i] = i;
        }

        var trainer = mlContext.Regression.Trainers.GradientDescent();
        var error = Assert.Throws<InvalidOperationException>(() => trainer.Fit(RegressionData.FromArrays(x, y).ToDataView(mlContext)));
        Assert.Contains("slot 1", error.Message);
        Assert.Contains("Features", error.Message);
        Assert.Contains("NormalizeMeanVariance", error.Message);
    }

    [Fact]
    public void WithoutStandardisationFeaturesTooLargeForTheDerivedRateFailNamingTheScaleAndTheRemedy()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = ScaledFeatures(1e20).ToDataView(mlContext);
        var trainer = mlContext.Regression.Trainers.GradientDescent(new Options { FeatureStandardization = FeatureStandardization.None });
        var error = Assert.Throws<InvalidOperationException>(() => trainer.Fit(data));
        Assert.Contains("FeatureStandardization", error.Message);
        Assert.Contains("learning rate", error.Message);
    }

    /// <summary>A loss that ignores the predictions: the mean squared distance of the targets from 0.</summary>
    private sealed class IgnoresPredictionsLoss : GdTrainer.Losses.Loss
    {
        public override GdTrainer.Autograd.Tensor<float> Compute(
            GdTrainer.Autograd.Tensor<float> predictions, GdTrainer.Autograd.Tensor<float> targets, GdTrainer.Autograd.Tensor<float>? weights = null) =>
            (predictions * 0f).Sum() + targets.Square().Mean();
    }

    [Fact]
    public void TrainingThatMovesNoWeightFailsInsteadOfReturningABiasOnlyModel()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = ScaledFeatures(1).ToDataView(mlContext);
        var trainer = mlContext.Regression.Trainers.GradientDescent(new Options { Loss = new IgnoresPredictionsLoss(), LearningRate = 0.1f, NumberOfEpochs = 3 });
        var error = Assert.Throws<InvalidOperationException>(() => trainer.Fit(data));
        Assert.Contains("no weight moved", error.Message);
        Assert.Contains("3 features of column 'Features' vary", error.Message);
    }
}
