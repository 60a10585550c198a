namespace GdTrainer.Tests.Models;

using GdTrainer.Autograd;
using GdTrainer.Models;

/// <summary>A ReLU <see cref="Mlp"/> runs its hidden layers fused; its values and gradients equal those of its own layer chain.</summary>
public sealed class MlpFusedForwardTests
{
    [Fact]
    public void TheFusedForwardEqualsTheLayerChainInValuesAndGradients()
    {
        var fused = new Mlp(5, [16, 8], 3, Activation.Relu, seed: 4);
        var chained = new Mlp(5, [16, 8], 3, Activation.Relu, seed: 4);
        Tensor<float> x = Tensor.Randn([12, 5], new Random(2));

        Tensor<float> a = fused.Forward(x);
        Tensor<float> b = chained.Layers.Forward(x);
        Assert.Equal(b.ToArray(), a.ToArray());

        a.Sum().Backward();
        b.Sum().Backward();
        IReadOnlyList<Tensor<float>> fusedParameters = fused.Parameters();
        IReadOnlyList<Tensor<float>> chainedParameters = chained.Parameters();
        for (int i = 0; i < fusedParameters.Count; i++)
        {
            Assert.Equal(chainedParameters[i].Grad!.ToArray(), fusedParameters[i].Grad!.ToArray());
        }
    }

    [Fact]
    public void AWrongInputShapeIsReportedByTheFirstLayer()
    {
        var model = new Mlp(5, [4], 1);
        var error = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros([3, 6])));
        Assert.Contains("5", error.Message, StringComparison.Ordinal);
    }
}
