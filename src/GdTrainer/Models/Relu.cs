namespace GdTrainer.Models;

using GdTrainer.Autograd;
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

    /// <summary>Format record (tag 5): no settings.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader) => new(0, () => new Relu());
}
