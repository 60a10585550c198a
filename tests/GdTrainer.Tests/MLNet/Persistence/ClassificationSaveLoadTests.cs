namespace GdTrainer.Tests.MLNet;

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

        // Both routes give Score the class count as its size; the typed route also keeps the slot names.
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), plain.Transform(data).Schema["Score"].Type);
        IDataView typedScored = restored.Transform(data);
        VBuffer<ReadOnlyMemory<char>> slots = default;
        typedScored.Schema["Score"].GetSlotNames(ref slots);
        Assert.Equal(3, slots.Length);
        Assert.InRange(_mlContext.MulticlassClassification.Evaluate(typedScored).MacroAccuracy, 0.6, 1.0);
    }

    [Theory]
    [InlineData(3, new int[0])]
    [InlineData(7, new[] { 6 })]
    public void APlainLoadedMulticlassModelHasAScoreOfTheClassCountAndEvaluatesLikeTheInMemoryModel(int classes, int[] hidden)
    {
        string[] names = [.. Enumerable.Range(0, classes).Select(c => "class" + c)];
        IDataView raw = ClassificationData.Multiclass(_mlContext, 400, seed: 6, names: names);
        IDataView data = _mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        ITransformer model = _mlContext.MulticlassClassification.Trainers.GradientDescent(new GradientDescentMulticlassTrainer.Options { NumberOfEpochs = 40, Seed = 3, HiddenLayers = hidden }).Fit(data);
        string path = Path.Combine(_directory, "sized.zip");
        _mlContext.Model.Save(model, data.Schema, path);

        var plainContext = new MLContext(seed: 0);
        ITransformer plain = plainContext.Model.Load(path, out _);
        Assert.DoesNotContain(plain as IEnumerable<ITransformer> ?? [], t => t is GradientDescentMulticlassTransformer);
        IDataView expected = model.Transform(data);
        IDataView actual = plain.Transform(data);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, classes), actual.Schema["Score"].Type);
        Assert.Equal(expected.Schema["Score"].Type, actual.Schema["Score"].Type);
        float[][] expectedScores = [.. expected.GetColumn<float[]>("Score")];
        float[][] actualScores = [.. actual.GetColumn<float[]>("Score")];
        for (int i = 0; i < expectedScores.Length; i++)
        {
            Assert.Equal(classes, actualScores[i].Length);
            AssertClose(expectedScores[i], actualScores[i]);
        }

        MulticlassClassificationMetrics inMemory = _mlContext.MulticlassClassification.Evaluate(expected);
        MulticlassClassificationMetrics loaded = plainContext.MulticlassClassification.Evaluate(actual);
        Assert.Equal(inMemory.MicroAccuracy, loaded.MicroAccuracy, 1e-12);
        Assert.Equal(inMemory.MacroAccuracy, loaded.MacroAccuracy, 1e-12);
        Assert.Equal(inMemory.LogLoss, loaded.LogLoss, 1e-6);
        Assert.Equal(inMemory.LogLossReduction, loaded.LogLossReduction, 1e-6);
        Assert.Equal(inMemory.PerClassLogLoss, loaded.PerClassLogLoss, (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal(inMemory.ConfusionMatrix.Counts, loaded.ConfusionMatrix.Counts);
        Assert.InRange(loaded.MicroAccuracy, 1.5 / classes, 1.0); // Better than chance (classes c and c + 4 share a blob): the scores are the model's, not noise.

        // The sized chain is restored to the typed transformer, which keeps scoring identically.
        ITransformer restored = GradientDescentModel.Load(new MLContext(seed: 0), path, out _);
        Assert.IsType<GradientDescentMulticlassTransformer>(restored);
        float[][] restoredScores = [.. restored.Transform(data).GetColumn<float[]>("Score")];
        for (int i = 0; i < expectedScores.Length; i++)
        {
            AssertClose(expectedScores[i], restoredScores[i]);
        }
    }

    [Theory]
    [InlineData(MulticlassSizedScoreFactory.DeclaredSize - 1, MulticlassSizedScoreFactory.DeclaredSize - 1)]
    [InlineData(MulticlassSizedScoreFactory.DeclaredSize, 0)]
    public void TheSizedScoreHoldsUpTo65535ClassesAndLargerModelsKeepTheUnknownSizeScoreAfterPlainLoad(int classes, int plainScoreSize)
    {
        var module = new GdTrainer.Models.Linear(2, classes, generator: new Random(13));
        var parameters = new GradientDescentModelParameters(module, standardization: null, new GdTrainer.Training.TrainingHistory([], null), rowCounts: null);
        var model = new GradientDescentMulticlassTransformer(parameters, "Features", new VectorDataViewType(NumberDataViewType.Single, 2), labelAnnotations: null);
        var random = new Random(14);
        IDataView data = _mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 5).Select(_ => new TwoFeatures { Features = [(float)random.NextDouble(), (float)random.NextDouble()] }).ToArray());
        string path = Path.Combine(_directory, "many.zip");
        _mlContext.Model.Save(model, data.Schema, path);

        IDataView expected = model.Transform(data);
        ITransformer plain = new MLContext(seed: 0).Model.Load(path, out _);
        ITransformer restored = GradientDescentModel.Load(new MLContext(seed: 0), path, out _);
        Assert.IsType<GradientDescentMulticlassTransformer>(restored);
        foreach ((ITransformer loaded, int size) in new[] { (plain, plainScoreSize), (restored, classes) })
        {
            IDataView actual = loaded.Transform(data);
            Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, size), actual.Schema["Score"].Type);
            Assert.Equal(expected.GetColumn<uint>("PredictedLabel"), actual.GetColumn<uint>("PredictedLabel"));
            AssertClose(expected.GetColumn<float[]>("Score").SelectMany(v => v), actual.GetColumn<float[]>("Score").SelectMany(v => v));
        }
    }

    private sealed class TwoFeatures
    {
        [VectorType(2)]
        public float[] Features = [];
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
