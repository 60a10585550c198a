namespace GdTrainer.Tests.Optimization;

using GdTrainer.Autograd;
using GdTrainer.Optimizers;

public sealed class SgdOptimizerTests
{
    [Fact]
    public void StepSubtractsTheLearningRateTimesTheGradient()
    {
        var p = Tensor.From<float>([1f, -2f, 3f], requiresGrad: true);
        var optimizer = new SgdOptimizer([p], learningRate: 0.5f);

        (p * p).Sum().Backward(); // grad = 2p
        optimizer.Step();

        Assert.Equal([1f - (0.5f * 2f), -2f - (0.5f * -4f), 3f - (0.5f * 6f)], p.ToArray());
        Assert.Equal([2f, -4f, 6f], p.Grad!.ToArray()); // The gradient itself is left as it was.
    }

    [Fact]
    public void WeightDecayAddsTheL2TermOnlyToItsGroup()
    {
        var weight = Tensor.From<float>([2f], requiresGrad: true);
        var bias = Tensor.From<float>([2f], requiresGrad: true);
        var optimizer = new SgdOptimizer([new ParameterGroup([weight], weightDecay: 0.1f), new ParameterGroup([bias])], learningRate: 0.25f);

        (weight + bias).Sum().Backward(); // Both gradients are 1.
        optimizer.Step();

        // PyTorch: p -= lr * (grad + weight_decay * p).
        Assert.Equal(2.0 - (0.25 * (1.0 + (0.1 * 2.0))), weight.Item(), 1e-6);
        Assert.Equal(2.0 - 0.25, bias.Item(), 1e-6);
    }

    [Fact]
    public void ZeroGradClearsTheAccumulatedGradients()
    {
        var p = Tensor.From<float>([1f, 2f], requiresGrad: true);
        var optimizer = new SgdOptimizer([p], learningRate: 0.1f);
        p.Sum().Backward();
        p.Sum().Backward();
        Assert.Equal([2f, 2f], p.Grad!.ToArray());

        optimizer.ZeroGrad();
        Assert.Equal([0f, 0f], p.Grad!.ToArray());
    }

    [Fact]
    public void ParametersWithoutAGradientAreLeftAlone()
    {
        var used = Tensor.From<float>([1f], requiresGrad: true);
        var unused = Tensor.From<float>([5f], requiresGrad: true);
        var optimizer = new SgdOptimizer([used, unused], learningRate: 0.1f, weightDecay: 0.5f);
        used.Sum().Backward();
        optimizer.Step();
        Assert.Equal(5f, unused.Item());
    }

    [Fact]
    public void InvalidSettingsAreRejected()
    {
        var p = Tensor.From<float>([1f], requiresGrad: true);
        Assert.Equal("LearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptimizer([p], learningRate: 0f)).ParamName);
        Assert.Equal("weightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptimizer([p], 0.1f, weightDecay: -1f)).ParamName);
        Assert.Throws<ArgumentException>(() => new SgdOptimizer([Tensor.From<float>([1f])], 0.1f));
    }
}
