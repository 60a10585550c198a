namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Models;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// The ONNX export, checked by running the exported graph in ONNX Runtime against the in-memory transformer (and, for the linear
/// model, against the formula computed in double).
/// </summary>
public sealed class OnnxExportTests
{
    /// <summary>Scores agree to 1e-5 relative to max(1, |score|): ONNX Runtime's Gemm sums in another order than our kernels.</summary>
    private const double Tolerance = 1e-5;

    private readonly MLContext _mlContext = new(seed: 1);
    private readonly RegressionData _data = RegressionData.Generate(200, [1.5f, -2f, 0.5f, 3f], 0.7f, 0.3f, seed: 3);

    public sealed class RawRow
    {
        public float Size { get; set; }

        public float Age { get; set; }

        public string Kind { get; set; } = string.Empty;

        public float Label { get; set; }
    }

    [Fact]
    public void TheLinearModelExportsAndOnnxRuntimeScoresLikeTheFormulaAndTheTransformer()
    {
        IDataView data = _data.ToDataView(_mlContext);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(new Options { NumberOfEpochs = 20, Seed = 1 }).Fit(data);
        Assert.True(model.Model.IsLinear);

        float[] onnx = OnnxRuntimeRunner.Score(Export(model), _data.Features);

        float[] expected = model.Transform(data).GetColumn<float>("Score").ToArray();
        Assert.Equal(expected.Length, onnx.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            AssertClose(expected[i], onnx[i]);
            AssertClose(RegressionData.Predict(_data.Features[i], model.Weights, model.Bias), onnx[i]);
        }
    }

    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.LeakyRelu)]
    [InlineData(Activation.Gelu)]
    public void AnMlpWithEachActivationExportsAndScoresLikeTheTransformer(Activation activation)
    {
        IDataView data = _data.ToDataView(_mlContext);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(
            new Options { HiddenLayers = [8, 5], Activation = activation, NumberOfEpochs = 5, Seed = 2 }).Fit(data);
        Assert.Equal(3, model.Model.Layers.Count);
        Assert.Equal(activation, model.Model.Layers[0].Activation);

        AssertOnnxMatchesTransformer(model, data);
    }

    [Fact]
    public void TheTanhFormOfGeluAndAnMlpWithoutStandardizationExport()
    {
        IDataView data = _data.ToDataView(_mlContext);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(new Options
        {
            ModelFactory = (features, outputs) => new Sequential(
                new Linear(features, 6, generator: new Random(4)), new Gelu(tanhApproximation: true),
                new Linear(6, 3, generator: new Random(5)), new LeakyRelu(0.2f),
                new Linear(3, outputs, generator: new Random(6))),
            FeatureStandardization = GdTrainer.Training.FeatureStandardization.None,
            NumberOfEpochs = 5,
            Seed = 3,
        }).Fit(data);
        Assert.True(model.Model.Layers[0].GeluTanhApproximation);
        Assert.Equal(0.2f, model.Model.Layers[1].NegativeSlope);

        AssertOnnxMatchesTransformer(model, data);
    }

    [Fact]
    public void TheGraphDeclaresOpset17TheFeatureInputAndAScoreOfOneColumnPerRow()
    {
        IDataView data = _data.ToDataView(_mlContext);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(new Options { HiddenLayers = [3], NumberOfEpochs = 2 }).Fit(data);
        string path = Path.Combine(Path.GetTempPath(), $"gdtrainer-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            GradientDescentOnnx.Export(model, path);
            Onnx.ModelProto proto = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            Assert.Equal(GradientDescentOnnx.IrVersion, proto.IrVersion);
            Assert.Equal(17, Assert.Single(proto.OpsetImport).Version);
            Assert.Equal(["Gemm", "Relu", "Gemm", "Identity"], proto.Graph.Node.Select(n => n.OpType));

            using var session = new InferenceSession(path);
            NodeMetadata input = Assert.Single(session.InputMetadata, m => m.Key == "Features").Value;
            Assert.Equal([-1, 4], input.Dimensions);
            Assert.Equal(typeof(float), input.ElementType);
            NodeMetadata score = Assert.Single(session.OutputMetadata, m => m.Key == "Score").Value;
            Assert.Equal([-1, 1], score.Dimensions);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AFeaturizingPrefixExportedByMLNetIsJoinedIntoOneGraphOverTheRawColumns()
    {
        RawRow[] rows = RawRows(150, seed: 7);
        IDataView data = _mlContext.Data.LoadFromEnumerable(rows);
        var featurizer = _mlContext.Transforms.Categorical.OneHotEncoding("KindVector", "Kind")
            .Append(_mlContext.Transforms.Concatenate("Features", "Size", "Age", "KindVector"))
            .Append(_mlContext.Transforms.NormalizeMinMax("Features"));
        ITransformer featurizerModel = featurizer.Fit(data);
        IDataView featurized = featurizerModel.Transform(data);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(
            new Options { HiddenLayers = [6], Activation = Activation.Tanh, NumberOfEpochs = 5, Seed = 4 }).Fit(featurized);
        ITransformer pipeline = featurizerModel.Append(model);

        using var featurizerOnnx = new MemoryStream();
        _mlContext.Model.ConvertToOnnx(featurizerModel, data, featurizerOnnx, "Features");
        featurizerOnnx.Position = 0;
        using var onnx = new MemoryStream();
        GradientDescentOnnx.Export(model, onnx, featurizerOnnx);

        using var session = new InferenceSession(onnx.ToArray());
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("Size", new DenseTensor<float>(rows.Select(r => r.Size).ToArray(), [rows.Length, 1])),
            NamedOnnxValue.CreateFromTensor("Age", new DenseTensor<float>(rows.Select(r => r.Age).ToArray(), [rows.Length, 1])),
            NamedOnnxValue.CreateFromTensor("Kind", new DenseTensor<string>(rows.Select(r => r.Kind).ToArray(), [rows.Length, 1])),
        };
        Assert.Equal(["Age", "Kind", "Size"], session.InputMetadata.Keys.Order()); // The raw columns the graph reads (not Label).
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(inputs);
        float[] onnxScores = results.Single(r => r.Name == "Score").AsEnumerable<float>().ToArray();

        float[] expected = pipeline.Transform(data).GetColumn<float>("Score").ToArray();
        Assert.Equal(expected.Length, onnxScores.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            AssertClose(expected[i], onnxScores[i]);
        }
    }

    [Fact]
    public void ConvertToOnnxOnAPipelineContainingOurTransformerSilentlyExportsNoModelTheTrapTheReadmeDocuments()
    {
        // What ML.NET 5.0.1 with Microsoft.ML.OnnxConverter 0.23.1 does today: it does not throw. It cannot convert our
        // transformer, so it treats the transformer's output as the pipeline's source: "Score" becomes a graph INPUT and
        // "Score.output" an Identity of it. The graph holds no weights and computes nothing; there is no public hook to make
        // ConvertToOnnx fail for a third-party transformer, so the README documents the trap next to GradientDescentOnnx.
        IDataView data = _data.ToDataView(_mlContext);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(new Options { NumberOfEpochs = 3 }).Fit(data);
        ITransformer pipeline = new TransformerChain<ITransformer>(model);

        using var stream = new MemoryStream();
        _mlContext.Model.ConvertToOnnx(pipeline, data, stream); // No exception.

        Onnx.ModelProto proto = Onnx.ModelProto.Parser.ParseFrom(stream.ToArray());
        Assert.Contains(proto.Graph.Input, i => i.Name == "Score");
        Assert.All(proto.Graph.Node, n => Assert.Equal("Identity", n.OpType));
        Assert.Empty(proto.Graph.Initializer);

        // Fed any Score, it returns that Score, not the model's.
        using var session = new InferenceSession(stream.ToArray());
        int n = _data.Rows;
        var features = new float[n * 4];
        for (int i = 0; i < n; i++)
        {
            _data.Features[i].CopyTo(features, i * 4);
        }

        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(features, [n, 4])),
            NamedOnnxValue.CreateFromTensor("Label", new DenseTensor<float>(new float[n], [n, 1])),
            NamedOnnxValue.CreateFromTensor("Weight", new DenseTensor<float>(new float[n], [n, 1])),
            NamedOnnxValue.CreateFromTensor("Score", new DenseTensor<float>(new float[n], [n, 1])),
        };
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(inputs);
        Assert.All(results.Single(r => r.Name == "Score.output").AsEnumerable<float>(), s => Assert.Equal(0f, s));
        Assert.Contains(model.Transform(data).GetColumn<float>("Score"), s => s != 0f);
    }

    [Fact]
    public void AFeaturizerWithoutTheFeatureColumnIsRejectedNamingItsOutputs()
    {
        IDataView data = _data.ToDataView(_mlContext);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(new Options { NumberOfEpochs = 1 }).Fit(data);
        ITransformer other = _mlContext.Transforms.CopyColumns("Other", "Features").Fit(data);
        using var featurizerOnnx = new MemoryStream();
        _mlContext.Model.ConvertToOnnx(other, data, featurizerOnnx, "Other");
        featurizerOnnx.Position = 0;

        var error = Assert.Throws<ArgumentException>(() => GradientDescentOnnx.Export(model, new MemoryStream(), featurizerOnnx));
        Assert.Contains("'Features.output'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Other.output", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MLNetsOwnUnconvertibleTransformsMakeConvertToOnnxThrow()
    {
        // Unlike a third-party transformer (next test, and the trap above), ML.NET's CustomMapping is refused loudly.
        RawRow[] rows = RawRows(50, seed: 8);
        IDataView data = _mlContext.Data.LoadFromEnumerable(rows);
        ITransformer featurizer = _mlContext.Transforms.CustomMapping<RawRow, MappedFeatures>(
            (input, output) => output.Features = [input.Size / 100, input.Age / 100], contractName: null).Fit(data);

        var error = Assert.Throws<InvalidOperationException>(() => _mlContext.Model.ConvertToOnnx(featurizer, data, new MemoryStream(), "Features"));
        Assert.Contains("can not be fully converted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFeaturizerWhoseFeatureOutputIsAPassedThroughInputIsRejected()
    {
        // What ConvertToOnnx writes when the feature column comes from a transformer it cannot convert, or from no transform.
        IDataView data = _data.ToDataView(_mlContext);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(new Options { NumberOfEpochs = 2 }).Fit(data);
        ITransformer featurizer = _mlContext.Transforms.CopyColumns("LabelCopy", "Label").Fit(data);
        using var featurizerOnnx = new MemoryStream();
        _mlContext.Model.ConvertToOnnx(featurizer, data, featurizerOnnx, "Features");
        featurizerOnnx.Position = 0;

        var error = Assert.Throws<ArgumentException>(() => GradientDescentOnnx.Export(model, new MemoryStream(), featurizerOnnx));
        Assert.Contains("does not compute 'Features'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Export the model alone", error.Message, StringComparison.Ordinal);
    }

    public sealed class MappedFeatures
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];
    }

    internal static byte[] Export(GradientDescentRegressionTransformer model)
    {
        using var stream = new MemoryStream();
        GradientDescentOnnx.Export(model, stream);
        return stream.ToArray();
    }

    private static void AssertClose(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= Tolerance * Math.Max(1, Math.Abs(expected)), $"expected {expected}, ONNX gave {actual}");

    private void AssertOnnxMatchesTransformer(GradientDescentRegressionTransformer model, IDataView data)
    {
        float[] onnx = OnnxRuntimeRunner.Score(Export(model), _data.Features);
        float[] expected = model.Transform(data).GetColumn<float>("Score").ToArray();
        Assert.Equal(expected.Length, onnx.Length);
        Assert.Contains(expected, s => Math.Abs(s - expected[0]) > 1e-3); // Not a constant model.
        for (int i = 0; i < expected.Length; i++)
        {
            AssertClose(expected[i], onnx[i]);
        }
    }

    private static RawRow[] RawRows(int count, int seed)
    {
        var random = new Random(seed);
        string[] kinds = ["flat", "house", "villa"];
        var rows = new RawRow[count];
        for (int i = 0; i < count; i++)
        {
            int kind = random.Next(kinds.Length);
            float size = (float)(30 + (200 * random.NextDouble()));
            float age = (float)(100 * random.NextDouble());
            rows[i] = new RawRow { Size = size, Age = age, Kind = kinds[kind], Label = (0.01f * size) - (0.02f * age) + kind + (float)random.NextDouble() };
        }

        return rows;
    }
}
