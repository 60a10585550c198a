namespace GdTrainer.Tests.MLNet;

using GdTrainer.Autograd;
using GdTrainer.MLNet;
using GdTrainer.Models;
using GdTrainer.Models.Lowering;

/// <summary>
/// Each layer writes itself into the ONNX graph through <see cref="IOnnxGraphBuilder"/> (which the exporter implements): every
/// activation of the library exports and ONNX Runtime scores as the compiled network does; one without an ONNX form is named.
/// </summary>
public sealed class LayerExportTests
{
    public static TheoryData<Activation> Activations() => [.. Enum.GetValues<Activation>()];

    [Theory]
    [MemberData(nameof(Activations))]
    public void EveryActivationExportsAndOnnxRuntimeScoresLikeTheCompiledNetwork(Activation activation)
    {
        InferenceNetwork network = InferenceNetwork.Compile(new Sequential(
            new Linear(4, 12, generator: new Random(1)), Mlp.CreateActivation(activation),
            new Linear(12, 3, generator: new Random(2)), Mlp.CreateActivation(activation),
            new Linear(3, 1, generator: new Random(3))));
        float[][] rows = [.. Enumerable.Range(0, 40).Select(r => Tensor.Randn([4], new Random(10 + r)).ToArray())];

        float[] onnx = OnnxRuntimeRunner.Score(Standalone(network), rows);

        var expected = new float[1];
        for (int r = 0; r < rows.Length; r++)
        {
            network.Score(rows[r], expected);
            Assert.True(Math.Abs(onnx[r] - expected[0]) <= 1e-5 * Math.Max(1, Math.Abs(expected[0])), $"{activation}, row {r}: ONNX {onnx[r]} vs compiled {expected[0]}");
        }
    }

    [Fact]
    public void AnActivationWithoutAnOnnxFormIsNamedWhenExporting()
    {
        var layer = new DenseLayer(2, 2, [1f, 0f, 0f, 1f], [0f, 0f], new NoOnnxForm());
        OnnxGraphWriter writer = OnnxGraphWriter.Standalone("Features", 2);

        var error = Assert.Throws<NotSupportedException>(() => writer.AddDenseLayers([layer]));

        Assert.Contains(typeof(NoOnnxForm).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be exported to ONNX", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Standalone(InferenceNetwork network)
    {
        OnnxGraphWriter writer = OnnxGraphWriter.Standalone("Features", network.InputSize);
        writer.AddOutput("Score", writer.AddDenseLayers(network.DenseLayers), network.OutputSize);
        using var stream = new MemoryStream();
        Google.Protobuf.MessageExtensions.WriteTo(writer.Finish(), stream);
        return stream.ToArray();
    }

    /// <summary>An activation compiled for scoring in .NET only.</summary>
    private sealed class NoOnnxForm() : CompiledActivation(typeof(NoOnnxForm))
    {
        internal override Activation Kind => Activation.Tanh;

        internal override void Apply(Span<float> values, Span<float> temporary) => System.Numerics.Tensors.TensorPrimitives.Tanh(values, values);

        internal override string? ExportOnnx(IOnnxGraphBuilder graph, string input, string name) => null;
    }
}
