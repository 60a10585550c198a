namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Models;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using BinaryOptions = GdTrainer.MLNet.GradientDescentBinaryTrainer.Options;
using MulticlassOptions = GdTrainer.MLNet.GradientDescentMulticlassTrainer.Options;

/// <summary>
/// The ONNX export of binary and multiclass models, run in ONNX Runtime and compared with the in-memory transformer: scores and
/// probabilities to 1e-5, labels exactly.
/// </summary>
public sealed class OnnxClassificationExportTests
{
    /// <summary>Relative to max(1, |value|), as in <see cref="OnnxExportTests"/>.</summary>
    private const double Tolerance = 1e-5;

    private const int Rows = 300;

    private readonly MLContext _mlContext = new(seed: 1);

    [Theory]
    [InlineData(false, Activation.Relu)]
    [InlineData(true, Activation.Tanh)]
    [InlineData(true, Activation.Gelu)]
    public void ABinaryModelExportsItsLabelScoreAndProbabilityAsTheTransformerComputesThem(bool mlp, Activation activation)
    {
        IDataView data = ClassificationData.Binary(_mlContext, Rows, seed: 11);
        GradientDescentBinaryTransformer model = _mlContext.BinaryClassification.Trainers.GradientDescent(new BinaryOptions
        {
            HiddenLayers = mlp ? [8, 5] : [],
            Activation = activation,
            NumberOfEpochs = 20,
            Seed = 3,
        }).Fit(data);
        Assert.Equal(mlp ? 3 : 1, model.Model.Layers.Count);

        float[][] features = [.. data.GetColumn<float[]>("Features")];
        using var stream = new MemoryStream();
        GradientDescentOnnx.Export(model, stream);
        Dictionary<string, Array> onnx = OnnxRuntimeRunner.Run(stream.ToArray(), features, "PredictedLabel", "Score", "Probability");

        IDataView scored = model.Transform(data);
        bool[] labels = [.. scored.GetColumn<bool>("PredictedLabel")];
        float[] scores = [.. scored.GetColumn<float>("Score")];
        float[] probabilities = [.. scored.GetColumn<float>("Probability")];
        Assert.Contains(labels, l => l);
        Assert.Contains(labels, l => !l);
        Assert.Equal(labels, (bool[])onnx["PredictedLabel"]);
        AssertAllClose(scores, (float[])onnx["Score"]);
        AssertAllClose(probabilities, (float[])onnx["Probability"]);

        // Independently of both: the probability is the sigmoid of the score, in double.
        float[] onnxScores = (float[])onnx["Score"];
        float[] onnxProbabilities = (float[])onnx["Probability"];
        for (int i = 0; i < Rows; i++)
        {
            AssertClose(1 / (1 + Math.Exp(-(double)onnxScores[i])), onnxProbabilities[i]);
        }
    }

    [Fact]
    public void ALogitOfZeroGivesProbabilityOneHalfAndTheLabelTrueAsInTheTransformer()
    {
        // Zero weights and bias: every logit is 0, the probability exactly 0.5, on the boundary of Probability >= 0.5.
        var parameters = new GradientDescentModelParameters([0f, 0f, 0f, 0f], 0f, []);
        var model = new GradientDescentBinaryTransformer(parameters, "Features", new VectorDataViewType(NumberDataViewType.Single, 4));
        IDataView data = ClassificationData.Binary(_mlContext, 20, seed: 18);
        using var stream = new MemoryStream();
        GradientDescentOnnx.Export(model, stream);
        Dictionary<string, Array> onnx = OnnxRuntimeRunner.Run(stream.ToArray(), [.. data.GetColumn<float[]>("Features")], "PredictedLabel", "Probability");

        Assert.All(model.Transform(data).GetColumn<bool>("PredictedLabel"), Assert.True);
        Assert.All((bool[])onnx["PredictedLabel"], Assert.True);
        Assert.All((float[])onnx["Probability"], p => Assert.Equal(0.5f, p));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AMulticlassModelExportsTheKeyOfTheLargestLogitAndTheSoftmaxAsTheTransformerComputesThem(bool mlp)
    {
        IDataView data = Keyed(ClassificationData.Multiclass(_mlContext, Rows, seed: 12));
        GradientDescentMulticlassTransformer model = _mlContext.MulticlassClassification.Trainers.GradientDescent(new MulticlassOptions
        {
            HiddenLayers = mlp ? [8, 5] : [],
            Activation = Activation.Relu,
            NumberOfEpochs = 60,
            Seed = 4,
        }).Fit(data);
        Assert.Equal(3, model.ClassCount);

        float[][] features = [.. data.GetColumn<float[]>("Features")];
        string path = Path.Combine(Path.GetTempPath(), $"gdtrainer-onnx-multiclass-{Guid.NewGuid():N}.onnx");
        try
        {
            GradientDescentOnnx.Export(model, path);
            Dictionary<string, Array> onnx = OnnxRuntimeRunner.Run(File.ReadAllBytes(path), features, "PredictedLabel", "Score");

            IDataView scored = model.Transform(data);
            uint[] labels = [.. scored.GetColumn<uint>("PredictedLabel")];
            float[][] scores = [.. scored.GetColumn<float[]>("Score")];
            Assert.Equal(3, labels.Distinct().Count()); // Every class is predicted somewhere: the keys are really compared.
            Assert.Equal(labels, (uint[])onnx["PredictedLabel"]);
            var onnxScores = (float[])onnx["Score"];
            AssertAllClose([.. scores.SelectMany(s => s)], onnxScores);
            for (int i = 0; i < Rows; i++)
            {
                Assert.Equal(1.0, onnxScores[i * 3] + (double)onnxScores[(i * 3) + 1] + onnxScores[(i * 3) + 2], 1e-5);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TheClassificationGraphsDeclareTheirOutputTypesAndShapes()
    {
        IDataView binaryData = ClassificationData.Binary(_mlContext, 50, seed: 13);
        GradientDescentBinaryTransformer binary = _mlContext.BinaryClassification.Trainers.GradientDescent(new BinaryOptions { NumberOfEpochs = 2 }).Fit(binaryData);
        using var binaryStream = new MemoryStream();
        GradientDescentOnnx.Export(binary, binaryStream);
        using (var session = new InferenceSession(binaryStream.ToArray()))
        {
            Assert.Equal(["PredictedLabel", "Score", "Probability"], session.OutputNames);
            AssertOutput(session, "PredictedLabel", typeof(bool), [-1, 1]);
            AssertOutput(session, "Score", typeof(float), [-1, 1]);
            AssertOutput(session, "Probability", typeof(float), [-1, 1]);
        }

        IDataView multiclassData = Keyed(ClassificationData.Multiclass(_mlContext, 50, seed: 14, names: ["a", "b", "c", "d"]));
        GradientDescentMulticlassTransformer multiclass = _mlContext.MulticlassClassification.Trainers.GradientDescent(new MulticlassOptions { NumberOfEpochs = 2 }).Fit(multiclassData);
        using var multiclassStream = new MemoryStream();
        GradientDescentOnnx.Export(multiclass, multiclassStream);
        Onnx.ModelProto proto = Onnx.ModelProto.Parser.ParseFrom(multiclassStream.ToArray());
        Assert.Equal(17, Assert.Single(proto.OpsetImport).Version);
        Assert.Equal(["Gemm", "Softmax", "ArgMax", "Add", "Cast", "Identity", "Identity"], proto.Graph.Node.Select(n => n.OpType));
        using (var session = new InferenceSession(multiclassStream.ToArray()))
        {
            Assert.Equal(["PredictedLabel", "Score"], session.OutputNames);
            AssertOutput(session, "PredictedLabel", typeof(uint), [-1, 1]);
            AssertOutput(session, "Score", typeof(float), [-1, 4]);
        }
    }

    [Fact]
    public void ABinaryModelAppendsToAFeaturizerAtMLNetsDefaultOpset12AndRejectsAnOlderOneNamingTheOpset()
    {
        IDataView data = ClassificationData.Binary(_mlContext, Rows, seed: 15);
        ITransformer featurizerModel = _mlContext.Transforms.NormalizeMeanVariance("Features").Fit(data);
        IDataView featurized = featurizerModel.Transform(data);
        GradientDescentBinaryTransformer model = _mlContext.BinaryClassification.Trainers.GradientDescent(
            new BinaryOptions { HiddenLayers = [6], NumberOfEpochs = 10, Seed = 5 }).Fit(featurized);

        IDataView featuresOnly = FeaturesOnly(data);
        byte[] opset11 = ConvertFeaturizer(featurizerModel, featuresOnly, 11);
        var error = Assert.Throws<ArgumentException>(() => GradientDescentOnnx.Export(model, new MemoryStream(), new MemoryStream(opset11)));
        Assert.Contains("opset 11", error.Message, StringComparison.Ordinal);
        Assert.Contains("opset 12 or later", error.Message, StringComparison.Ordinal);

        using var onnx = new MemoryStream();
        using var featurizerOnnx = new MemoryStream();
        _mlContext.Model.ConvertToOnnx(featurizerModel, featuresOnly, featurizerOnnx); // ML.NET's default opset, 12.
        featurizerOnnx.Position = 0;
        GradientDescentOnnx.Export(model, onnx, featurizerOnnx);
        float[][] raw = [.. data.GetColumn<float[]>("Features")];
        Dictionary<string, Array> results = OnnxRuntimeRunner.Run(onnx.ToArray(), raw, "PredictedLabel", "Probability");

        IDataView scored = featurizerModel.Append(model).Transform(data);
        Assert.Equal(scored.GetColumn<bool>("PredictedLabel").ToArray(), (bool[])results["PredictedLabel"]);
        AssertAllClose([.. scored.GetColumn<float>("Probability")], (float[])results["Probability"]);
    }

    [Fact]
    public void AMulticlassModelAppendsToAFeaturizerAtMLNetsDefaultOpset()
    {
        IDataView data = Keyed(ClassificationData.Multiclass(_mlContext, Rows, seed: 16));
        ITransformer featurizerModel = _mlContext.Transforms.NormalizeMinMax("Features").Fit(data);
        GradientDescentMulticlassTransformer model = _mlContext.MulticlassClassification.Trainers.GradientDescent(
            new MulticlassOptions { HiddenLayers = [6], Activation = Activation.Tanh, NumberOfEpochs = 10, Seed = 6 }).Fit(featurizerModel.Transform(data));

        using var featurizerOnnx = new MemoryStream();
        _mlContext.Model.ConvertToOnnx(featurizerModel, FeaturesOnly(data), featurizerOnnx);
        // ML.NET's default opset (Microsoft.ML.OnnxConverter 0.23.1) is 12, the binary minimum: the default conversion fits every task.
        Onnx.ModelProto featurizerProto = Onnx.ModelProto.Parser.ParseFrom(featurizerOnnx.ToArray());
        Assert.Equal(GradientDescentOnnx.MinimumBinaryFeaturizerOpsetVersion, featurizerProto.OpsetImport.Single(o => o.Domain is "" or "ai.onnx").Version);
        featurizerOnnx.Position = 0;
        using var onnx = new MemoryStream();
        GradientDescentOnnx.Export(model, onnx, featurizerOnnx);
        float[][] raw = [.. data.GetColumn<float[]>("Features")];
        Dictionary<string, Array> results = OnnxRuntimeRunner.Run(onnx.ToArray(), raw, "PredictedLabel", "Score");

        IDataView scored = featurizerModel.Append(model).Transform(data);
        Assert.Equal(scored.GetColumn<uint>("PredictedLabel").ToArray(), (uint[])results["PredictedLabel"]);
        float[] expected = [.. scored.GetColumn<float[]>("Score").SelectMany(s => s)];
        AssertAllClose(expected, (float[])results["Score"]);
    }

    [Fact]
    public void AFeaturizerThatAlreadyHasAProbabilityOutputIsRejected()
    {
        IDataView data = ClassificationData.Binary(_mlContext, 50, seed: 17);
        GradientDescentBinaryTransformer model = _mlContext.BinaryClassification.Trainers.GradientDescent(new BinaryOptions { NumberOfEpochs = 1 }).Fit(data);
        ITransformer featurizer = _mlContext.Transforms.NormalizeMinMax("Features")
            .Append(_mlContext.Transforms.CopyColumns("Probability", "Label")).Fit(data);
        byte[] featurizerOnnx = ConvertFeaturizer(featurizer, data, 12);

        var error = Assert.Throws<ArgumentException>(() => GradientDescentOnnx.Export(model, new MemoryStream(), new MemoryStream(featurizerOnnx)));
        Assert.Contains("already has an output named Probability", error.Message, StringComparison.Ordinal);
    }

    private IDataView Keyed(IDataView data) => _mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);

    /// <summary>The data's feature column alone, so that ConvertToOnnx declares (and outputs) nothing else.</summary>
    private IDataView FeaturesOnly(IDataView data) =>
        _mlContext.Data.LoadFromEnumerable(data.GetColumn<float[]>("Features").Select(f => new ClassificationData.FeaturesOnly { Features = f }).ToArray());

    private byte[] ConvertFeaturizer(ITransformer featurizer, IDataView data, int opset)
    {
        using var stream = new MemoryStream();
        _mlContext.Model.ConvertToOnnx(featurizer, data, opset, stream);
        return stream.ToArray();
    }

    private static void AssertOutput(InferenceSession session, string name, Type elementType, int[] dimensions)
    {
        NodeMetadata metadata = session.OutputMetadata[name];
        Assert.Equal(elementType, metadata.ElementType);
        Assert.Equal(dimensions, metadata.Dimensions);
    }

    private static void AssertAllClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.Contains(expected, v => Math.Abs(v - expected[0]) > 1e-3); // Not a constant model.
        for (int i = 0; i < expected.Length; i++)
        {
            AssertClose(expected[i], actual[i]);
        }
    }

    private static void AssertClose(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= Tolerance * Math.Max(1, Math.Abs(expected)), $"expected {expected}, ONNX gave {actual}");
}
