namespace GdTrainer.Models;

using GdTrainer.Autograd;
using GdTrainer.Models.Lowering;
using GdTrainer.Models.Records;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

/// <summary>
/// The sigmoid linear unit <c>x * sigmoid(x) = x / (1 + exp(-x))</c>, element-wise (PyTorch's <c>nn.SiLU</c>, also called
/// swish); no parameters, any shape. Smooth everywhere and close to ReLU away from 0 (it dips to about -0.278 at
/// <c>x = -1.278</c>), so its gradient never vanishes abruptly as ReLU's does below 0.
/// </summary>
public sealed class Silu : Module
{
    /// <summary>Applies <c>x * sigmoid(x)</c> to every element.</summary>
    /// <param name="input">A tensor of any shape.</param>
    /// <returns>A tensor of the input's shape.</returns>
    public override Tensor<float> Forward(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Silu();
    }

    /// <summary>
    /// Attaches <c>x * sigmoid(x)</c> to the layer before it. ONNX (to opset 17) has no SiLU operator, so it exports as
    /// <c>Mul(x, Sigmoid(x))</c>.
    /// </summary>
    internal override string? LowerForInference(InferenceLowering lowering, string path) => lowering.AddActivation(this, path, Compiled.Instance);

    /// <summary>Format record (tag 11): no settings.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader) => new(0, () => new Silu());

    private sealed class Compiled() : CompiledActivation(typeof(Silu))
    {
        internal static readonly Compiled Instance = new();

        internal override Activation Kind => Activation.Silu;

        // As SiluNode: sigmoid, then times x.
        internal override void Apply(Span<float> values, Span<float> temporary)
        {
            TensorPrimitives.Sigmoid(values, temporary);
            TensorPrimitives.Multiply(temporary, values, values);
        }

        internal override string? ExportOnnx(IOnnxGraphBuilder graph, string input, string name) =>
            graph.AddNode("Mul", [input, graph.AddNode("Sigmoid", [input], name + ".silu.sigmoid")], name + ".silu");
    }
}
