namespace GdTrainer.Models;

using GdTrainer.Autograd;
using GdTrainer.Models.Records;

/// <summary>
/// The Gaussian error linear unit, element-wise (PyTorch's <c>nn.GELU</c>): by default the exact form
/// <c>x * Phi(x)</c> with <c>Phi</c> the standard normal distribution function, or with
/// <c>tanhApproximation</c> the form <c>x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))</c>
/// (PyTorch's <c>approximate='tanh'</c>); no parameters, any shape.
/// </summary>
public sealed class Gelu : Module
{
    /// <summary>Creates the activation.</summary>
    /// <param name="tanhApproximation">Use the tanh approximation instead of the exact erf form. Default: <see langword="false"/> (PyTorch's <c>approximate='none'</c>).</param>
    public Gelu(bool tanhApproximation = false) => TanhApproximation = tanhApproximation;

    /// <summary>Whether the tanh approximation is used instead of the exact erf form.</summary>
    public bool TanhApproximation { get; }

    /// <summary>Applies GELU to every element.</summary>
    /// <param name="input">A tensor of any shape.</param>
    /// <returns>A tensor of the input's shape.</returns>
    public override Tensor<float> Forward(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Gelu(TanhApproximation);
    }

    /// <inheritdoc/>
    protected override string DescribeSettings() => TanhApproximation ? "tanhApproximation: true" : string.Empty;

    /// <summary>Format record (tag 7): tanh approximation byte 0/1.</summary>
    internal override void WriteRecord(ModuleRecordWriter writer) => writer.Write(TanhApproximation);

    /// <summary>Reads what <see cref="WriteRecord"/> writes.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader)
    {
        bool tanhApproximation = reader.Flag("tanh approximation flag");
        return new ModuleRecord(0, () => new Gelu(tanhApproximation));
    }
}
