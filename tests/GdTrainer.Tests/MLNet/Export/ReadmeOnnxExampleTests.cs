namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Models;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

/// <summary>
/// The README's "Export to ONNX" example, the code between the <c>README:</c> markers (README.md must show it verbatim:
/// <see cref="Samples.ReadmeVerbatimTests"/>), with file paths in a temporary folder, checked against ONNX Runtime.
/// </summary>
public sealed class ReadmeOnnxExampleTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"gdtrainer-readme-onnx-{Guid.NewGuid():N}");

    public ReadmeOnnxExampleTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public sealed class House
    {
        public float Size { get; set; }

        public float Age { get; set; }

        public string Kind { get; set; } = string.Empty;

        public float Price { get; set; }
    }

    [Fact]
    public void TheReadmeExampleExportsTheModelAndThePipelineAndOnnxRuntimeScoresThemLikeMLNet()
    {
        var mlContext = new MLContext(seed: 0);
        var random = new Random(2);
        string[] kinds = ["flat", "house", "villa"];
        House[] houses = [.. Enumerable.Range(0, 300).Select(i => new House
        {
            Size = 40 + (160 * random.NextSingle()),
            Age = 80 * random.NextSingle(),
            Kind = kinds[i % 3],
        })];
        foreach (House h in houses)
        {
            h.Price = (0.02f * h.Size) - (0.01f * h.Age) + Array.IndexOf(kinds, h.Kind);
        }

        IDataView data = mlContext.Data.LoadFromEnumerable(houses);
        string modelPath = Path.Combine(_directory, "model.onnx"), pipelinePath = Path.Combine(_directory, "pipeline.onnx");

        // README: begin export to onnx
        // Fit the featurizer and the GdTrainer model separately, so that each part can be exported.
        ITransformer featurizer = mlContext.Transforms.Categorical.OneHotEncoding("KindVector", "Kind")
            .Append(mlContext.Transforms.Concatenate("Features", "Size", "Age", "KindVector"))
            .Append(mlContext.Transforms.NormalizeMinMax("Features"))
            .Fit(data);
        GradientDescentRegressionTransformer model = mlContext.Regression.Trainers.GradientDescent(
            new GradientDescentRegressionTrainer.Options { LabelColumnName = "Price", HiddenLayers = [16], Activation = Activation.Gelu })
            .Fit(featurizer.Transform(data));

        // The model alone: input "Features" float [N, 5], output "Score" float [N, 1].
        GradientDescentOnnx.Export(model, modelPath);

        // The whole pipeline: ML.NET converts the featurizer (package Microsoft.ML.OnnxConverter), GdTrainer appends the model.
        // Inputs: the raw columns Size, Age (float [N, 1]) and Kind (string [N, 1]); outputs: Features.output and Score.
        using (var featurizerOnnx = new MemoryStream())
        using (FileStream file = File.Create(pipelinePath))
        {
            mlContext.Model.ConvertToOnnx(featurizer, data, featurizerOnnx, "Features");
            featurizerOnnx.Position = 0;
            GradientDescentOnnx.Export(model, file, featurizerOnnx);
        }

        // Score with ONNX Runtime (package Microsoft.ML.OnnxRuntime).
        using var session = new InferenceSession(pipelinePath);
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("Size", new DenseTensor<float>(new[] { 120f }, [1, 1])),
            NamedOnnxValue.CreateFromTensor("Age", new DenseTensor<float>(new[] { 10f }, [1, 1])),
            NamedOnnxValue.CreateFromTensor("Kind", new DenseTensor<string>(new[] { "house" }, [1, 1])),
        ]);
        float price = results.First(r => r.Name == "Score").AsEnumerable<float>().First();
        // README: end export to onnx

        var mlnet = featurizer.Append(model).Transform(mlContext.Data.LoadFromEnumerable([new House { Size = 120, Age = 10, Kind = "house" }]));
        float expected = mlnet.GetColumn<float>("Score").Single();
        Assert.Equal(expected, price, 1e-5 * Math.Max(1, Math.Abs(expected)));
        Assert.Equal(3.3f, price, 0.3f); // The truth: 0.02 * 120 - 0.01 * 10 + 1 = 3.3.

        using var alone = new InferenceSession(modelPath);
        Assert.Equal([-1, 5], alone.InputMetadata["Features"].Dimensions);
        Assert.Equal([-1, 1], alone.OutputMetadata["Score"].Dimensions);
    }
}
