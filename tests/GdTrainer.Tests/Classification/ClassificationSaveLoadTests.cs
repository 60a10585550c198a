namespace GdTrainer.Tests.Classification;

using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>Both load routes of saved binary and multiclass models: plain <c>mlContext.Model.Load</c> and <see cref="GradientDescentModel.Load"/>.</summary>
public sealed class ClassificationSaveLoadTests : IDisposable
{
    private readonly MLContext _mlContext = new(seed: 1);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-cls-" + Guid.NewGuid().ToString("N"));

    public ClassificationSaveLoadTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 5 })]
    public void ABinaryModelScoresIdenticallyAfterBothLoadRoutes(int[] hidden)
    {
        IDataView data = ClassificationData.Binary(_mlContext, 300, seed: 2);
        ITransformer model = _mlContext.BinaryClassification.Trainers.GradientDescent(new GradientDescentBinaryTrainer.Options { NumberOfEpochs = 20, Seed = 3, HiddenLayers = hidden }).Fit(data);
        string path = Path.Combine(_directory, "binary.zip");
        _mlContext.Model.Save(model, data.Schema, path);

        IDataView expected = model.Transform(data);
        ITransformer plain = new MLContext(seed: 0).Model.Load(path, out _);
        ITransformer restored = GradientDescentModel.Load(new MLContext(seed: 0), path, out _);
        GradientDescentBinaryTransformer typed = Assert.IsType<GradientDescentBinaryTransformer>(restored);
        Assert.Equal(((GradientDescentBinaryTransformer)model).LossHistory, typed.LossHistory);
        foreach (ITransformer loaded in new[] { plain, restored })
        {
            IDataView actual = loaded.Transform(data);
            Assert.Equal(expected.Schema["Score"].Type, actual.Schema["Score"].Type);
            Assert.Equal(expected.Schema["PredictedLabel"].Type, actual.Schema["PredictedLabel"].Type);
            AssertClose(expected.GetColumn<float>("Probability"), actual.GetColumn<float>("Probability"));
            AssertClose(expected.GetColumn<float>("Score"), actual.GetColumn<float>("Score"));
            Assert.Equal(expected.GetColumn<bool>("PredictedLabel"), actual.GetColumn<bool>("PredictedLabel"));
            Assert.Equal(_mlContext.BinaryClassification.Evaluate(expected).AreaUnderRocCurve, _mlContext.BinaryClassification.Evaluate(actual).AreaUnderRocCurve, 1e-12);
        }
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 5 })]
    public void AMulticlassPipelineScoresIdenticallyAndMapsKeysBackAfterBothLoadRoutes(int[] hidden)
    {
        IDataView data = ClassificationData.Multiclass(_mlContext, 300, seed: 4);
        var pipeline = _mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(_mlContext.MulticlassClassification.Trainers.GradientDescent(new GradientDescentMulticlassTrainer.Options { NumberOfEpochs = 20, Seed = 3, HiddenLayers = hidden }))
            .Append(_mlContext.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel"));
        ITransformer model = pipeline.Fit(data);
        string path = Path.Combine(_directory, "multiclass.zip");
        _mlContext.Model.Save(model, data.Schema, path);

        IDataView expected = model.Transform(data);
        ITransformer plain = new MLContext(seed: 0).Model.Load(path, out _);
        ITransformer restored = GradientDescentModel.Load(new MLContext(seed: 0), path, out _);
        Assert.Contains(restored as IEnumerable<ITransformer> ?? [], t => t is GradientDescentMulticlassTransformer);
        foreach (ITransformer loaded in new[] { plain, restored })
        {
            IDataView actual = loaded.Transform(data);
            Assert.Equal(expected.Schema["PredictedLabel"].Type, actual.Schema["PredictedLabel"].Type);
            Assert.Equal(expected.GetColumn<string>("PredictedText"), actual.GetColumn<string>("PredictedText"));
            Assert.Equal(expected.GetColumn<uint>("PredictedLabel"), actual.GetColumn<uint>("PredictedLabel"));
            float[][] expectedScores = [.. expected.GetColumn<float[]>("Score")];
            float[][] actualScores = [.. actual.GetColumn<float[]>("Score")];
            for (int i = 0; i < expectedScores.Length; i++)
            {
                AssertClose(expectedScores[i], actualScores[i]);
            }

            VBuffer<ReadOnlyMemory<char>> keys = default;
            actual.Schema["PredictedLabel"].GetKeyValues(ref keys);
            Assert.Equal(["red", "green", "blue"], keys.DenseValues().Select(k => k.ToString()).Order().Reverse());
        }

        // Documented loss on the plain route: a custom mapping's vector output has no known size and no slot names, so
        // MulticlassClassification.Evaluate rejects it there (GradientDescentModel.Load restores the typed transformer).
        IDataView plainScored = plain.Transform(data);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single), plainScored.Schema["Score"].Type);

        // The typed route keeps the score's slot names and ML.NET's evaluator works on it.
        IDataView typedScored = restored.Transform(data);
        VBuffer<ReadOnlyMemory<char>> slots = default;
        typedScored.Schema["Score"].GetSlotNames(ref slots);
        Assert.Equal(3, slots.Length);
        Assert.InRange(_mlContext.MulticlassClassification.Evaluate(typedScored).MacroAccuracy, 0.6, 1.0);
    }

    [Fact]
    public void AMulticlassModelOverAFloatLabelKeepsFloatKeyValuesAfterPlainLoad()
    {
        IDataView text = ClassificationData.Multiclass(_mlContext, 200, seed: 5, names: ["3", "5", "7"]);
        IDataView data = _mlContext.Transforms.Conversion.ConvertType("Label", outputKind: DataKind.Single).Fit(text).Transform(text);
        ITransformer model = _mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(_mlContext.MulticlassClassification.Trainers.GradientDescent(new GradientDescentMulticlassTrainer.Options { NumberOfEpochs = 10, Seed = 3 }))
            .Append(_mlContext.Transforms.Conversion.MapKeyToValue("PredictedValue", "PredictedLabel"))
            .Fit(data);
        string path = Path.Combine(_directory, "float.zip");
        _mlContext.Model.Save(model, data.Schema, path);
        IDataView expected = model.Transform(data);
        IDataView actual = new MLContext(seed: 0).Model.Load(path, out _).Transform(data);
        Assert.Equal(NumberDataViewType.Single, actual.Schema["PredictedValue"].Type);
        Assert.Equal(expected.GetColumn<float>("PredictedValue"), actual.GetColumn<float>("PredictedValue"));
    }

    private static void AssertClose(IEnumerable<float> expected, IEnumerable<float> actual)
    {
        float[] e = [.. expected];
        float[] a = [.. actual];
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
        {
            Assert.Equal(e[i], a[i], 1e-6);
        }
    }
}
