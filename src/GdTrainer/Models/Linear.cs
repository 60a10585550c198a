namespace GdTrainer.Models;

using GdTrainer.Autograd;
using GdTrainer.Models.Lowering;
using GdTrainer.Models.Records;

/// <summary>
/// A fully connected layer <c>y = x W + b</c> (PyTorch's <c>nn.Linear</c>), computed as one fused graph
/// node (<see cref="Functional.Linear{T}"/>).
/// </summary>
/// <remarks>
/// <para>
/// Layout: the weight is stored as <c>[inputs, outputs]</c>, the transpose of PyTorch's
/// <c>[out_features, in_features]</c>, so that the forward pass is a plain row-major product
/// <c>[n, inputs] @ [inputs, outputs]</c> with no transposition. Porting PyTorch weights means transposing them.
/// </para>
/// <para>
/// One output: with <c>outputs == 1</c> the weight is a vector <c>[inputs]</c>, the bias <c>[1]</c>, and the
/// layer returns <c>[n]</c> (one prediction per row, PyTorch's output squeezed), which keeps the common
/// regression head on the cheap matrix-vector path. Such a layer must be the last of a model: a following
/// <see cref="Linear"/> rejects a rank-1 input.
/// </para>
/// <para>
/// Initialisation (PyTorch's <c>reset_parameters</c>): the weight is Kaiming-uniform with <c>a = sqrt(5)</c>,
/// which is <c>U(-1/sqrt(inputs), 1/sqrt(inputs))</c>, and the bias <c>U(-1/sqrt(inputs), 1/sqrt(inputs))</c>;
/// the weight's values are drawn first, in storage order, then the bias's.
/// </para>
/// Parameters: <c>weight</c> (<see cref="ParameterKind.Weight"/>), then <c>bias</c> (<see cref="ParameterKind.Bias"/>) unless <c>bias: false</c>.
/// </remarks>
public sealed class Linear : Module
{
    /// <summary>Creates a layer from <paramref name="inputs"/> features to <paramref name="outputs"/> outputs, initialised as PyTorch's.</summary>
    /// <param name="inputs">The number of input features (PyTorch's <c>in_features</c>), at least 1.</param>
    /// <param name="outputs">The number of outputs (PyTorch's <c>out_features</c>), at least 1; 1 makes the layer return <c>[n]</c>.</param>
    /// <param name="bias">Whether the layer adds a learned bias. Default: <see langword="true"/>.</param>
    /// <param name="generator">The source of the initial values; pass a seeded <see cref="Random"/> for reproducible values. Default: <see cref="Random.Shared"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="inputs"/> or <paramref name="outputs"/> is less than 1.</exception>
    public Linear(int inputs, int outputs, bool bias = true, Random? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        generator ??= Random.Shared;
        InputSize = inputs;
        OutputSize = outputs;
        double bound = 1.0 / Math.Sqrt(inputs);
        int[] weightShape = outputs == 1 ? [inputs] : [inputs, outputs];
        Weight = RegisterParameter("weight", Uniform(weightShape, bound, generator), ParameterKind.Weight);
        if (bias)
        {
            Bias = RegisterParameter("bias", Uniform([outputs], bound, generator), ParameterKind.Bias);
        }
    }

    /// <summary>The number of input features (PyTorch's <c>in_features</c>).</summary>
    public int InputSize { get; }

    /// <summary>The number of outputs (PyTorch's <c>out_features</c>).</summary>
    public int OutputSize { get; }

    /// <summary>The weight, shape <c>[InputSize, OutputSize]</c> (the transpose of PyTorch's layout), or <c>[InputSize]</c> when <c>OutputSize == 1</c>.</summary>
    public Tensor<float> Weight { get; }

    /// <summary>The bias, shape <c>[OutputSize]</c>, or null for a layer created with <c>bias: false</c>.</summary>
    public Tensor<float>? Bias { get; }

    /// <summary><see cref="Bias"/> (null for a layer created with <c>bias: false</c>).</summary>
    public override Tensor<float>? OutputBias => Bias;

    /// <summary>Computes <c>input @ Weight + Bias</c>.</summary>
    /// <param name="input">A <c>[n, InputSize]</c> tensor.</param>
    /// <returns>A <c>[n, OutputSize]</c> tensor, or <c>[n]</c> when <c>OutputSize == 1</c>.</returns>
    /// <exception cref="ArgumentException">The input is not of shape <c>[n, InputSize]</c>.</exception>
    public override Tensor<float> Forward(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2 || input.Shape[1] != InputSize)
        {
            throw new ArgumentException(
                $"Linear({InputSize}, {OutputSize}) expects an input of shape [n, {InputSize}], but got {input}." +
                (input.Rank == 1 ? " A one-output layer returns [n] and must be the last layer of a model." : string.Empty),
                nameof(input));
        }

        return Bias is null ? input.MatMul(Weight) : Functional.Linear(input, Weight, Bias);
    }

    private static Tensor<float> Uniform(int[] shape, double bound, Random generator)
    {
        Tensor<float> tensor = Tensor.Zeros(shape, requiresGrad: true);
        Span<float> values = tensor.Data;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((2.0 * generator.NextDouble()) - 1.0) * bound);
        }

        return tensor;
    }

    /// <inheritdoc/>
    protected override string DescribeSettings() => $"inputs: {InputSize}, outputs: {OutputSize}, bias: {(Bias is null ? "false" : "true")}";

    /// <summary>A dense layer of the same weights (zeros for the bias of a layer without one).</summary>
    internal override string? LowerForInference(InferenceLowering lowering, string path)
    {
        lowering.AddDense(path, InputSize, OutputSize, Weight.ToArray(), Bias?.ToArray() ?? new float[OutputSize]);
        return null;
    }

    /// <summary>Format record (tag 1): inputs int32, outputs int32, bias byte 0/1.</summary>
    internal override void WriteRecord(ModuleRecordWriter writer)
    {
        writer.Write(InputSize);
        writer.Write(OutputSize);
        writer.Write(Bias is not null);
    }

    /// <summary>Reads what <see cref="WriteRecord"/> writes.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader)
    {
        int inputs = reader.Size("input count");
        int outputs = reader.Size("output count");
        bool bias = reader.Flag("bias flag");
        return new ModuleRecord(((double)inputs * outputs) + (bias ? outputs : 0), () => new Linear(inputs, outputs, bias));
    }

    /// <inheritdoc/>
    internal override Tensor<float> ForwardSparse(SparseRows input) => Functional.SparseLinear(input, Weight, Bias);
}
