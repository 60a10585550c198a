namespace GdTrainer.Tests.MLNet;

using System.Globalization;
using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>Saves a model here and scores it with the samples' <c>predict</c> command in another process.</summary>
public sealed class SeparateProcessTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-process-" + Guid.NewGuid().ToString("N"));

    public SeparateProcessTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task AModelSavedHerePredictsIdenticallyInASeparateProcess()
    {
        var mlContext = new MLContext(seed: 0);
        RegressionData train = RegressionData.Generate(300, [0.8f, -1.2f, 2.2f], 1.1f, 0.2f, seed: 21);
        IDataView data = train.ToDataView(mlContext);
        ITransformer model = mlContext.Transforms.NormalizeMinMax("Features")
            .Append(mlContext.Regression.Trainers.GradientDescent(new Options { NumberOfEpochs = 5, BatchSize = 32, Seed = 3 }))
            .Fit(data);
        string modelPath = Path.Combine(_directory, "model.zip");
        mlContext.Model.Save(model, data.Schema, modelPath);

        RegressionData probe = RegressionData.Generate(25, [0f, 0f, 0f], 0f, 0f, seed: 22);
        string csvPath = Path.Combine(_directory, "rows.csv");
        File.WriteAllLines(csvPath, probe.Features.Select(row => string.Join(",", row.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
        float[] expected = model.Transform(probe.ToDataView(mlContext)).GetColumn<float>("Score").ToArray();

        string[] lines = await GdTrainer.Tests.Samples.SamplesProcess.OutputLinesAsync("predict", "--model", modelPath, "--input", csvPath);
        Assert.Equal("score", lines[0]);
        float[] actual = lines[1..].Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-6);
        }
    }
}
