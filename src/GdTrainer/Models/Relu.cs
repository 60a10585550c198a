namespace GdTrainer.Models;

using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using GdTrainer.Autograd;
using GdTrainer.Models.Lowering;
using GdTrainer.Models.Records;

/// <summary>The rectified linear unit <c>max(x, 0)</c>, element-wise (PyTorch's <c>nn.ReLU</c>); no parameters, any shape.</summary>
public sealed class Relu : Module
{
    /// <summary>Applies <c>max(x, 0)</c> to every element.</summary>
    /// <param name="input">A tensor of any shape.</param>
    /// <returns>A tensor of the input's shape.</returns>
    public override Tensor<float> Forward(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Relu();
    }

    /// <summary>Attaches <c>max(x, 0)</c> to the layer before it; ONNX <c>Relu</c>.</summary>
    internal override string? LowerForInference(InferenceLowering lowering, string path) => lowering.AddActivation(this, path, Compiled.Instance);

    /// <summary>Format record (tag 5): no settings.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader) => new(0, () => new Relu());

    private sealed class Compiled() : CompiledActivation(typeof(Relu))
    {
        internal static readonly Compiled Instance = new();

        internal override Activation Kind => Activation.Relu;

        internal override void Apply(Span<float> values, Span<float> temporary) => TensorPrimitives.Max(values, 0f, values);

        internal override string? ExportOnnx(IOnnxGraphBuilder graph, string input, string name) => graph.AddNode("Relu", [input], name + ".relu");
    }
}
