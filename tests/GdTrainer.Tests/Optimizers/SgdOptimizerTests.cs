namespace GdTrainer.Tests.Optimizers;

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

public sealed class SgdMomentumTests
{
    [Theory]
    [InlineData(0.1, 0.0, 0.0, 0.0, false)] // plain SGD
    [InlineData(0.1, 0.05, 0.0, 0.0, false)] // L2 weight decay
    [InlineData(0.05, 0.0, 0.9, 0.0, false)] // heavy-ball momentum
    [InlineData(0.05, 0.01, 0.9, 0.3, false)] // momentum with dampening and weight decay
    [InlineData(0.05, 0.01, 0.8, 0.0, true)] // Nesterov
    public void StepsFollowTheAlgorithmBox(double lr, double weightDecay, double momentum, double dampening, bool nesterov)
    {
        var problem = new QuadraticProblem();
        var p = problem.NewParameter();
        var optimizer = new SgdOptimizer([p], (float)lr, (float)weightDecay, (float)momentum, (float)dampening, nesterov);
        problem.AssertFollows(optimizer, p, ReferenceOptimizers.Sgd(F(lr), F(weightDecay), F(momentum), F(dampening), nesterov));
    }

    [Fact]
    public void TheFirstMomentumStepUsesTheGradientAsTheBuffer()
    {
        // PyTorch initialises the buffer to g_1 (not to (1 - dampening)·g_1): with dampening 0.5 the first step is still lr·g.
        var p = Tensor.From<float>([1f], requiresGrad: true);
        var optimizer = new SgdOptimizer([p], learningRate: 0.1f, momentum: 0.9f, dampening: 0.5f);
        (p * 3f).Sum().Backward(); // g = 3
        optimizer.Step();
        Assert.Equal(1.0 - (0.1 * 3.0), p.Item(), 1e-6);
        optimizer.Step(); // b = 0.9·3 + 0.5·3 = 4.2
        Assert.Equal(0.7 - (0.1 * 4.2), p.Item(), 1e-6);
    }

    [Fact]
    public void NesterovNeedsMomentumAndNoDampening()
    {
        var p = Tensor.From<float>([1f], requiresGrad: true);
        Assert.Equal("nesterov", Assert.Throws<ArgumentException>(() => new SgdOptimizer([p], 0.1f, nesterov: true)).ParamName);
        Assert.Equal("nesterov", Assert.Throws<ArgumentException>(() => new SgdOptimizer([p], 0.1f, momentum: 0.9f, dampening: 0.1f, nesterov: true)).ParamName);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptimizer([p], 0.1f, momentum: -0.1f)).ParamName);
        Assert.Equal("dampening", Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptimizer([p], 0.1f, momentum: 0.9f, dampening: 1.5f)).ParamName);
    }

    private static double F(double x) => (float)x;
}
