namespace GdTrainer.Models;

using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using GdTrainer.Autograd;
using GdTrainer.Models.Lowering;
using GdTrainer.Models.Records;

/// <summary>The logistic sigmoid <c>1 / (1 + exp(-x))</c>, element-wise (PyTorch's <c>nn.Sigmoid</c>); no parameters, any shape.</summary>
public sealed class Sigmoid : Module
{
    /// <summary>Applies <c>1 / (1 + exp(-x))</c> to every element.</summary>
    /// <param name="input">A tensor of any shape.</param>
    /// <returns>A tensor of the input's shape.</returns>
    public override Tensor<float> Forward(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Sigmoid();
    }

    /// <summary>Attaches <c>1 / (1 + exp(-x))</c> to the layer before it; ONNX <c>Sigmoid</c>.</summary>
    internal override string? LowerForInference(InferenceLowering lowering, string path) => lowering.AddActivation(this, path, Compiled.Instance);

    /// <summary>Format record (tag 9): no settings.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader) => new(0, () => new Sigmoid());

    private sealed class Compiled() : CompiledActivation(typeof(Sigmoid))
    {
        internal static readonly Compiled Instance = new();

        internal override Activation Kind => Activation.Sigmoid;

        internal override void Apply(Span<float> values, Span<float> temporary) => TensorPrimitives.Sigmoid(values, values);

        internal override string? ExportOnnx(IOnnxGraphBuilder graph, string input, string name) => graph.AddNode("Sigmoid", [input], name + ".sigmoid");
    }
}
