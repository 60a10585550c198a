namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Optimizers;
using Microsoft.ML;

/// <summary>
/// Warm start for the classification trainers: n epochs, a save and a load, and m more equal n + m epochs in one go with plain
/// SGD; a label mapping that differs from the one the model was trained with is refused, naming both.
/// </summary>
public sealed class ClassificationWarmStartTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-cls-warm-" + Guid.NewGuid().ToString("N"));
    private readonly MLContext _mlContext = new(seed: 0);

    public ClassificationWarmStartTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private T SaveAndLoad<T>(ITransformer model, IDataView data)
    {
        string path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".zip");
        GradientDescentModel.Save(_mlContext, model, data.Schema, path);
        return Assert.IsType<T>(GradientDescentModel.Load(new MLContext(seed: 9), path, out _));
    }

    [Fact]
    public void BinaryTenPlusTenEpochsEqualTwentyInOneGo()
    {
        IDataView data = ClassificationData.Binary(_mlContext, 1200, seed: 4);
        GradientDescentBinaryTrainer.Options Sgd(int epochs) => new()
        {
            NumberOfEpochs = epochs, LearningRate = 0.05f, LearningRateSchedule = LearningRateSchedule.Constant, Patience = 0, BatchSize = 16, Seed = 5,
        };
        GradientDescentBinaryTransformer twenty = _mlContext.BinaryClassification.Trainers.GradientDescent(Sgd(20)).Fit(data);
        GradientDescentBinaryTransformer ten = _mlContext.BinaryClassification.Trainers.GradientDescent(Sgd(10)).Fit(data);

        GradientDescentBinaryTransformer continued = new GradientDescentBinaryTrainer(Sgd(10)).Fit(data, SaveAndLoad<GradientDescentBinaryTransformer>(ten, data));

        Assert.Equal(20, continued.Model.EpochsRun);
        for (int j = 0; j < twenty.Model.Weights.Count; j++)
        {
            Assert.Equal(twenty.Model.Weights[j], continued.Model.Weights[j], 1e-5f);
        }

        Assert.Equal(twenty.Model.Bias, continued.Model.Bias, 1e-5f);
    }

    [Fact]
    public void MulticlassContinuesWithTheSameLabelMappingAndRefusesAnother()
    {
        IDataView text = ClassificationData.Multiclass(_mlContext, 900, seed: 2);
        ITransformer keys = _mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(text);
        IDataView data = keys.Transform(text);
        GradientDescentMulticlassTrainer.Options Sgd(int epochs) => new()
        {
            NumberOfEpochs = epochs, LearningRate = 0.05f, LearningRateSchedule = LearningRateSchedule.Constant, Patience = 0, BatchSize = 16, Seed = 5,
        };
        GradientDescentMulticlassTransformer twenty = _mlContext.MulticlassClassification.Trainers.GradientDescent(Sgd(20)).Fit(data);
        GradientDescentMulticlassTransformer ten = _mlContext.MulticlassClassification.Trainers.GradientDescent(Sgd(10)).Fit(data);

        GradientDescentMulticlassTransformer continued = new GradientDescentMulticlassTrainer(Sgd(10))
            .Fit(data, SaveAndLoad<GradientDescentMulticlassTransformer>(ten, data));

        Assert.Equal(20, continued.Model.EpochsRun);
        Assert.Equal(ten.ClassNames, continued.ClassNames);
        float[] expected = [.. twenty.Model.Layers[0].Weights.ToArray()];
        float[] actual = [.. continued.Model.Layers[0].Weights.ToArray()];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-5f);
        }

        // The same three classes, keyed in another order: the label mapping differs.
        IDataView reordered = _mlContext.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(text).Transform(text);
        var error = Assert.Throws<ArgumentException>(() => new GradientDescentMulticlassTrainer(Sgd(2)).Fit(reordered, ten));
        Assert.Contains("label mapping differs", error.Message, StringComparison.Ordinal);
    }
}
