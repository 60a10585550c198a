namespace GdTrainer.Models;

using GdTrainer.Models.Lowering;

/// <summary>
/// One fully connected layer of an <see cref="InferenceNetwork"/> with the activation that follows it:
/// <c>y = act(x W + b)</c>. Immutable: the network copied its values from the module it was compiled from.
/// </summary>
public sealed class DenseLayer
{
    private readonly float[] _weights;
    private readonly float[] _bias;

    internal DenseLayer(int inputs, int outputs, float[] weights, float[] bias, CompiledActivation? activation)
    {
        Inputs = inputs;
        Outputs = outputs;
        _weights = weights;
        _bias = bias;
        CompiledActivation = activation;
    }

    /// <summary>The number of inputs (PyTorch's <c>in_features</c>).</summary>
    public int Inputs { get; }

    /// <summary>The number of outputs (PyTorch's <c>out_features</c>).</summary>
    public int Outputs { get; }

    /// <summary>
    /// The weights, <c>Inputs * Outputs</c> values row-major as <c>[Inputs, Outputs]</c>, the layout of <see cref="Linear.Weight"/>
    /// (the transpose of PyTorch's): the weight from input <c>i</c> to output <c>j</c> is at <c>i * Outputs + j</c>.
    /// </summary>
    public ReadOnlyMemory<float> Weights => _weights;

    /// <summary>The bias, <see cref="Outputs"/> values; zeros for a <see cref="Linear"/> created with <c>bias: false</c>.</summary>
    public ReadOnlyMemory<float> Bias => _bias;

    /// <summary>The activation applied to the layer's outputs, or <see langword="null"/> for none (the identity).</summary>
    public Activation? Activation => CompiledActivation?.Kind;

    /// <summary>The slope for negative inputs when <see cref="Activation"/> is <see cref="Models.Activation.LeakyRelu"/> (default 0.01); 0 otherwise.</summary>
    public float NegativeSlope => CompiledActivation?.NegativeSlope ?? 0f;

    /// <summary>Whether a <see cref="Models.Activation.Gelu"/> activation uses the tanh approximation (PyTorch's <c>approximate='tanh'</c>) instead of the exact erf form.</summary>
    public bool GeluTanhApproximation => CompiledActivation?.GeluTanhApproximation ?? false;

    internal float[] WeightArray => _weights;

    internal float[] BiasArray => _bias;

    /// <summary>The activation's kernel and ONNX form, as the activation module compiled it; null for none.</summary>
    internal CompiledActivation? CompiledActivation { get; }

    /// <summary>The same layer with an activation set (the layer had none).</summary>
    internal DenseLayer WithActivation(CompiledActivation activation) => new(Inputs, Outputs, _weights, _bias, activation);

    /// <summary>The same activation over new weights and bias.</summary>
    internal DenseLayer WithParameters(float[] weights, float[] bias) => new(Inputs, Outputs, weights, bias, CompiledActivation);

    /// <summary>
    /// Appends the layer to an ONNX graph as a <c>Gemm</c> reading <paramref name="input"/>, followed by its activation's nodes;
    /// the values are named after <c>layers.{index}</c>.
    /// </summary>
    /// <returns>The name of the layer's output value, <c>[N, Outputs]</c>.</returns>
    /// <exception cref="NotSupportedException">The activation has no ONNX form; the message names the module type it was compiled from.</exception>
    internal string ExportOnnx(IOnnxGraphBuilder graph, string input, int index)
    {
        string weights = graph.AddInitializer($"layers.{index}.weight", _weights, Inputs, Outputs);
        string bias = graph.AddInitializer($"layers.{index}.bias", _bias, Outputs);

        // Gemm: Y = alpha * A B + beta * C with defaults alpha = beta = 1, no transposes; C broadcasts over rows.
        string output = graph.AddNode("Gemm", [input, weights, bias], $"layers.{index}.linear");
        if (CompiledActivation is not { } activation)
        {
            return output;
        }

        return activation.ExportOnnx(graph, output, $"layers.{index}")
            ?? throw new NotSupportedException(
                $"The activation after layer {index} ({activation.ModuleType.FullName}) has no ONNX form, so the model cannot be exported to ONNX. " +
                "Score it in .NET (the transformer, or InferenceNetwork), or build the model with an activation that exports.");
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"Dense({Inputs} -> {Outputs}{(Activation is { } activation ? $", {activation}" : string.Empty)})";
}
