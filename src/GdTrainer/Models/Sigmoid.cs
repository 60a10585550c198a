namespace GdTrainer.Models;

using GdTrainer.Autograd;
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

    /// <summary>Format record (tag 9): no settings.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader) => new(0, () => new Sigmoid());
}
