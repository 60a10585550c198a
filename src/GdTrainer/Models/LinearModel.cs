namespace GdTrainer.Models;

using GdTrainer.Autograd;
using GdTrainer.Models.Lowering;
using GdTrainer.Models.Records;

/// <summary>
/// The linear model <c>y = X w + b</c> (PyTorch's <c>nn.Linear(d, 1)</c> with the output squeezed):
/// a weight vector of shape <c>[d]</c> and a bias of shape <c>[1]</c>, both initialised to zero
/// (the least-squares problem is convex, so zero is as good a start as any and needs no seed).
/// Parameters: <c>weight</c> (<see cref="ParameterKind.Weight"/>) then <c>bias</c> (<see cref="ParameterKind.Bias"/>).
/// </summary>
public sealed class LinearModel : Module
{
    /// <summary>Creates a zero-initialised linear model for rows of <paramref name="inputSize"/> features.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="inputSize"/> is less than 1.</exception>
    public LinearModel(int inputSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        InputSize = inputSize;
        Weights = RegisterParameter("weight", Tensor.Zeros([inputSize], requiresGrad: true), ParameterKind.Weight);
        Bias = RegisterParameter("bias", Tensor.Zeros([1], requiresGrad: true), ParameterKind.Bias);
    }

    /// <summary>The number of features each input row must have.</summary>
    public int InputSize { get; }

    /// <summary>The weight vector, shape <c>[InputSize]</c>.</summary>
    public Tensor<float> Weights { get; }

    /// <summary>The bias (intercept), shape <c>[1]</c>.</summary>
    public Tensor<float> Bias { get; }

    /// <summary><see cref="Bias"/>.</summary>
    public override Tensor<float>? OutputBias => Bias;

    /// <summary><c>the linear model</c>.</summary>
    public override string Describe() => "the linear model";

    /// <summary>Computes <c>features @ weight + bias</c>, one prediction per row.</summary>
    /// <param name="features">A <c>[n, InputSize]</c> tensor.</param>
    /// <returns>A <c>[n]</c> tensor.</returns>
    /// <exception cref="ArgumentException">The features are not of shape <c>[n, InputSize]</c>.</exception>
    public override Tensor<float> Forward(Tensor<float> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rank != 2 || features.Shape[1] != InputSize)
        {
            throw new ArgumentException(
                $"LinearModel expects features of shape [n, {InputSize}], but got {features}.", nameof(features));
        }

        return Functional.Linear(features, Weights, Bias);
    }

    /// <inheritdoc/>
    protected override string DescribeSettings() => $"inputSize: {InputSize}";

    /// <summary>A dense layer with one output.</summary>
    internal override string? LowerForInference(InferenceLowering lowering, string path)
    {
        lowering.AddDense(path, InputSize, 1, Weights.ToArray(), Bias.ToArray());
        return null;
    }

    /// <summary>Format record (tag 2): input size int32.</summary>
    internal override void WriteRecord(ModuleRecordWriter writer) => writer.Write(InputSize);

    /// <summary>Reads what <see cref="WriteRecord"/> writes.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader)
    {
        int inputs = reader.Size("input size");
        return new ModuleRecord((double)inputs + 1, () => new LinearModel(inputs));
    }

    /// <inheritdoc/>
    internal override Tensor<float> ForwardSparse(SparseRows input) => Functional.SparseLinear(input, Weights, Bias);
}
