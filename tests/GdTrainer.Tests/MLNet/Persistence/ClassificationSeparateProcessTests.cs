namespace GdTrainer.Tests.MLNet;

using System.Diagnostics;
using System.Globalization;
using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>Saves classifiers here and scores them with the samples' <c>predict-class</c> command in another process, by both load routes.</summary>
public sealed class ClassificationSeparateProcessTests : IDisposable
{
    private readonly MLContext _mlContext = new(seed: 0);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-cls-process-" + Guid.NewGuid().ToString("N"));

    public ClassificationSeparateProcessTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("typed")]
    [InlineData("plain")]
    public async Task ABinaryModelPredictsIdenticallyInASeparateProcess(string route)
    {
        IDataView data = ClassificationData.Binary(_mlContext, 300, seed: 21);
        ITransformer model = _mlContext.BinaryClassification.Trainers.GradientDescent(new GradientDescentBinaryTrainer.Options { NumberOfEpochs = 10, Seed = 3, HiddenLayers = [4] }).Fit(data);
        string modelPath = Path.Combine(_directory, "binary.zip");
        _mlContext.Model.Save(model, data.Schema, modelPath);
        (string csv, IDataView probe) = Probe(22);
        IDataView scored = model.Transform(probe);
        bool[] labels = [.. scored.GetColumn<bool>("PredictedLabel")];
        float[] probabilities = [.. scored.GetColumn<float>("Probability")];

        string[] lines = await RunPredict(modelPath, csv, route);
        Assert.Equal(labels.Length, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            string[] parts = lines[i].Split(',');
            Assert.Equal(labels[i], bool.Parse(parts[0]));
            Assert.Equal(probabilities[i], float.Parse(parts[1], CultureInfo.InvariantCulture), 1e-6);
        }
    }

    [Theory]
    [InlineData("typed")]
    [InlineData("plain")]
    public async Task AMulticlassPipelinePredictsIdenticalLabelsAndProbabilitiesInASeparateProcess(string route)
    {
        IDataView raw = ClassificationData.Multiclass(_mlContext, 300, seed: 23);
        IDataView data = _mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        ITransformer model = _mlContext.MulticlassClassification.Trainers.GradientDescent(new GradientDescentMulticlassTrainer.Options { NumberOfEpochs = 10, Seed = 3 }).Fit(data);
        string modelPath = Path.Combine(_directory, "multiclass.zip");
        _mlContext.Model.Save(model, data.Schema, modelPath);
        (string csv, IDataView probe) = Probe(24);
        IDataView scored = model.Transform(probe);
        IDataView named = _mlContext.Transforms.Conversion.MapKeyToValue("Text", "PredictedLabel").Fit(scored).Transform(scored);
        string[] texts = [.. named.GetColumn<string>("Text")];
        float[][] scores = [.. scored.GetColumn<float[]>("Score")];
        Assert.Contains("red", texts);

        string[] lines = await RunPredict(modelPath, csv, route);
        Assert.Equal(texts.Length, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            string[] parts = lines[i].Split(',');
            Assert.Equal(texts[i], parts[0]);
            Assert.Equal(scores[i].Length, parts.Length - 1);
            for (int c = 0; c < scores[i].Length; c++)
            {
                Assert.Equal(scores[i][c], float.Parse(parts[c + 1], CultureInfo.InvariantCulture), 1e-6);
            }
        }
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("typed")]
    public async Task AMulticlassModelEvaluatesInASeparateProcessLikeTheInMemoryModel(string route)
    {
        IDataView raw = ClassificationData.Multiclass(_mlContext, 300, seed: 25);
        IDataView data = _mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        ITransformer model = _mlContext.MulticlassClassification.Trainers.GradientDescent(new GradientDescentMulticlassTrainer.Options { NumberOfEpochs = 20, Seed = 3 }).Fit(data);
        string modelPath = Path.Combine(_directory, "evaluated.zip");
        _mlContext.Model.Save(model, data.Schema, modelPath);

        // Labelled probe rows: the label text first, then the features; in memory the same rows with the label mapped to the model's keys.
        IDataView probeRaw = ClassificationData.Multiclass(_mlContext, 60, seed: 26);
        string[] labels = [.. probeRaw.GetColumn<string>("Label")];
        float[][] features = [.. probeRaw.GetColumn<float[]>("Features")];
        string csv = Path.Combine(_directory, "labelled.csv");
        File.WriteAllLines(csv, labels.Select((label, i) => label + "," + string.Join(",", features[i].Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
        IDataView probe = _mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(probeRaw);
        MulticlassClassificationMetrics expected = _mlContext.MulticlassClassification.Evaluate(model.Transform(probe));

        string[] lines = await SamplesProcessRun(modelPath, csv, route);
        Assert.Equal(labels.Length + 1, lines.Length);
        string[] metrics = lines[^1].Split(',');
        Assert.Equal("metrics", metrics[0]);
        Assert.Equal(3, int.Parse(metrics[1], CultureInfo.InvariantCulture)); // Score is a vector of the class count on both routes.
        Assert.Equal(expected.MicroAccuracy, double.Parse(metrics[2], CultureInfo.InvariantCulture), 1e-12);
        Assert.Equal(expected.MacroAccuracy, double.Parse(metrics[3], CultureInfo.InvariantCulture), 1e-12);
        Assert.Equal(expected.LogLoss, double.Parse(metrics[4], CultureInfo.InvariantCulture), 1e-6);
        Assert.InRange(expected.MicroAccuracy, 0.5, 1.0);
    }

    private static Task<string[]> SamplesProcessRun(string modelPath, string csvPath, string route) =>
        GdTrainer.Tests.Samples.SamplesProcess.OutputLinesAsync("predict-class", "--model", modelPath, "--input", csvPath, "--route", route, "--labelled");

    private (string Csv, IDataView Data) Probe(int seed)
    {
        var random = new Random(seed);
        float[][] rows = [.. Enumerable.Range(0, 25).Select(_ => ClassificationData.Gaussians(random, ClassificationData.FeatureCount).Select(v => v * 2f).ToArray())];
        string path = Path.Combine(_directory, $"rows{seed}.csv");
        File.WriteAllLines(path, rows.Select(row => string.Join(",", row.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
        return (path, _mlContext.Data.LoadFromEnumerable(rows.Select(r => new ClassificationData.FeaturesOnly { Features = r })));
    }

    private static Task<string[]> RunPredict(string modelPath, string csvPath, string route) =>
        GdTrainer.Tests.Samples.SamplesProcess.OutputLinesAsync("predict-class", "--model", modelPath, "--input", csvPath, "--route", route);
}
