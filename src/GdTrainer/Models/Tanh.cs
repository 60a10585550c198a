namespace GdTrainer.Models;

using GdTrainer.Autograd;
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

    /// <summary>Format record (tag 8): no settings.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader) => new(0, () => new Tanh());
}
