namespace GdTrainer.Models;

/// <summary>
/// One fully connected layer of an <see cref="InferenceNetwork"/> with the activation that follows it:
/// <c>y = act(x W + b)</c>. Immutable: the network copied its values from the module it was compiled from.
/// </summary>
public sealed class DenseLayer
{
    private readonly float[] _weights;
    private readonly float[] _bias;

    internal DenseLayer(int inputs, int outputs, float[] weights, float[] bias, Activation? activation, float negativeSlope, bool geluTanhApproximation)
    {
        Inputs = inputs;
        Outputs = outputs;
        _weights = weights;
        _bias = bias;
        Activation = activation;
        NegativeSlope = negativeSlope;
        GeluTanhApproximation = geluTanhApproximation;
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
    public Activation? Activation { get; }

    /// <summary>The slope for negative inputs when <see cref="Activation"/> is <see cref="Models.Activation.LeakyRelu"/> (default 0.01); 0 otherwise.</summary>
    public float NegativeSlope { get; }

    /// <summary>Whether a <see cref="Models.Activation.Gelu"/> activation uses the tanh approximation (PyTorch's <c>approximate='tanh'</c>) instead of the exact erf form.</summary>
    public bool GeluTanhApproximation { get; }

    internal float[] WeightArray => _weights;

    internal float[] BiasArray => _bias;

    /// <summary>The same layer with an activation set (the layer had none).</summary>
    internal DenseLayer WithActivation(Activation activation, float negativeSlope, bool geluTanhApproximation) =>
        new(Inputs, Outputs, _weights, _bias, activation, negativeSlope, geluTanhApproximation);

    /// <summary>The same activation over new weights and bias.</summary>
    internal DenseLayer WithParameters(float[] weights, float[] bias) =>
        new(Inputs, Outputs, weights, bias, Activation, NegativeSlope, GeluTanhApproximation);

    /// <inheritdoc/>
    public override string ToString() =>
        $"Dense({Inputs} -> {Outputs}{(Activation is { } activation ? $", {activation}" : string.Empty)})";
}
