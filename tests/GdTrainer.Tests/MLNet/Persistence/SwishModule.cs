namespace GdTrainer.Tests.MLNet;

using GdTrainer.Autograd;
using GdTrainer.Models;

/// <summary>A user's own activation module, <c>x sigmoid(x)</c>: a type the save format cannot describe.</summary>
internal sealed class SwishModule : Module
{
    /// <inheritdoc/>
    public override Tensor<float> Forward(Tensor<float> input) => input * input.Sigmoid();
}
