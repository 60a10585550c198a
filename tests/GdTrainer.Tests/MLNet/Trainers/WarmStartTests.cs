namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Optimizers;
using GdTrainer.Training;
using Microsoft.ML;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// <c>Fit(trainData, initialModel)</c> continues training: n epochs, a save and a load, then m more epochs equal n + m epochs in
/// one go when the optimizer keeps no state, and converge when its state restarts; a model that does not fit is refused with
/// a message saying what differs.
/// </summary>
public sealed class WarmStartTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-warm-" + Guid.NewGuid().ToString("N"));
    private readonly MLContext _mlContext = new(seed: 0);

    public WarmStartTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Options PlainSgd(int epochs) => new()
    {
        NumberOfEpochs = epochs,
        LearningRate = 0.05f,
        LearningRateSchedule = LearningRateSchedule.Constant,
        Patience = 0,
        BatchSize = 16,
        Seed = 5,
    };

    private GradientDescentRegressionTransformer SaveAndLoad(GradientDescentRegressionTransformer model, IDataView data)
    {
        string path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".zip");
        GradientDescentModel.Save(_mlContext, model, data.Schema, path);
        return Assert.IsType<GradientDescentRegressionTransformer>(GradientDescentModel.Load(new MLContext(seed: 9), path, out _));
    }

    [Fact]
    public void TenEpochsSavedLoadedAndContinuedForTenMoreEqualTwentyInOneGoWithPlainSgd()
    {
        // 1,000 rows in batches of 16: 63 batches, so every epoch shuffles the batch order and the continuation must replay it.
        IDataView data = RegressionData.Generate(1000, [1.5f, -2f, 0.25f, 3f], 0.5f, 0.3f, seed: 4).ToDataView(_mlContext);
        GradientDescentRegressionTransformer twenty = _mlContext.Regression.Trainers.GradientDescent(PlainSgd(20)).Fit(data);
        GradientDescentRegressionTransformer ten = _mlContext.Regression.Trainers.GradientDescent(PlainSgd(10)).Fit(data);
        GradientDescentRegressionTransformer loaded = SaveAndLoad(ten, data);

        GradientDescentRegressionTransformer continued = new GradientDescentRegressionTrainer(PlainSgd(10)).Fit(data, loaded);

        Assert.Equal(20, continued.Model.EpochsRun);
        for (int j = 0; j < 4; j++)
        {
            Assert.Equal(twenty.Weights[j], continued.Weights[j], 1e-5f);
        }

        Assert.Equal(twenty.Bias, continued.Bias, 1e-5f);
        for (int epoch = 0; epoch < 20; epoch++)
        {
            Assert.Equal(epoch + 1, continued.Model.History.Epochs[epoch].Epoch);
            Assert.Equal(twenty.Model.LossHistory[epoch], continued.Model.LossHistory[epoch], 1e-5f * Math.Max(1f, twenty.Model.LossHistory[epoch]));
        }

        // And the continuation is not the same as starting over: ten fresh epochs end elsewhere.
        Assert.NotEqual(twenty.Weights[0], ten.Weights[0]);
    }

    [Fact]
    public void AnMlpWhoseAdamStateRestartsKeepsConverging()
    {
        IDataView data = RegressionData.Generate(2000, [1.5f, -2f, 0.25f, 3f], 0.5f, 0.1f, seed: 6).ToDataView(_mlContext);
        Options Mlp(int epochs) => new() { HiddenLayers = [16], NumberOfEpochs = epochs, Patience = 0, BatchSize = 64, Seed = 3 };
        GradientDescentRegressionTransformer ten = _mlContext.Regression.Trainers.GradientDescent(Mlp(10)).Fit(data);
        GradientDescentRegressionTransformer twenty = _mlContext.Regression.Trainers.GradientDescent(Mlp(20)).Fit(data);

        GradientDescentRegressionTransformer continued = new GradientDescentRegressionTrainer(Mlp(10)).Fit(data, SaveAndLoad(ten, data));

        float afterTen = ten.Model.LossHistory[^1];
        float afterContinuing = continued.Model.LossHistory[^1];
        Assert.Equal(20, continued.Model.EpochsRun);
        Assert.True(afterContinuing < afterTen, $"continuing should keep lowering the loss: {afterTen} after 10 epochs, {afterContinuing} after 10 more");
        Assert.True(afterContinuing < 1.5f * twenty.Model.LossHistory[^1],
            $"the continued run ({afterContinuing}) should come close to 20 epochs in one go ({twenty.Model.LossHistory[^1]})");
    }

    [Fact]
    public void AnInitialModelThatDoesNotFitIsRefusedWithWhatDiffers()
    {
        IDataView four = RegressionData.Generate(200, [1f, 2f, 3f, 4f], 0f, 0.1f, seed: 1).ToDataView(_mlContext);
        IDataView three = RegressionData.Generate(200, [1f, 2f, 3f], 0f, 0.1f, seed: 1).ToDataView(_mlContext);
        GradientDescentRegressionTransformer linear = _mlContext.Regression.Trainers.GradientDescent(PlainSgd(2)).Fit(four);

        var features = Assert.Throws<ArgumentException>(() => new GradientDescentRegressionTrainer(PlainSgd(2)).Fit(three, linear));
        Assert.Contains("4 features", features.Message, StringComparison.Ordinal);
        Assert.Contains("has 3", features.Message, StringComparison.Ordinal);

        Options mlp = PlainSgd(2);
        mlp.HiddenLayers = [8];
        var architecture = Assert.Throws<ArgumentException>(() => new GradientDescentRegressionTrainer(mlp).Fit(four, linear));
        Assert.Contains("architecture", architecture.Message, StringComparison.Ordinal);

        Options raw = PlainSgd(2);
        raw.FeatureStandardization = FeatureStandardization.None;
        var standardisation = Assert.Throws<ArgumentException>(() => new GradientDescentRegressionTrainer(raw).Fit(four, linear));
        Assert.Contains("standardisation", standardisation.Message, StringComparison.Ordinal);
    }
}
