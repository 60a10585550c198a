namespace GdTrainer.Models;

using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using GdTrainer.Autograd;
using GdTrainer.Models.Lowering;
using GdTrainer.Models.Records;

/// <summary>The hyperbolic tangent <c>tanh(x)</c>, element-wise (PyTorch's <c>nn.Tanh</c>); no parameters, any shape.</summary>
public sealed class Tanh : Module
{
    /// <summary>Applies <c>tanh(x)</c> to every element.</summary>
    /// <param name="input">A tensor of any shape.</param>
    /// <returns>A tensor of the input's shape.</returns>
    public override Tensor<float> Forward(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Tanh();
    }

    /// <summary>Attaches <c>tanh(x)</c> to the layer before it; ONNX <c>Tanh</c>.</summary>
    internal override string? LowerForInference(InferenceLowering lowering, string path) => lowering.AddActivation(this, path, Compiled.Instance);

    /// <summary>Format record (tag 8): no settings.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader) => new(0, () => new Tanh());

    private sealed class Compiled() : CompiledActivation(typeof(Tanh))
    {
        internal static readonly Compiled Instance = new();

        internal override Activation Kind => Activation.Tanh;

        internal override void Apply(Span<float> values, Span<float> temporary) => TensorPrimitives.Tanh(values, values);

        internal override string? ExportOnnx(IOnnxGraphBuilder graph, string input, string name) => graph.AddNode("Tanh", [input], name + ".tanh");
    }
}
