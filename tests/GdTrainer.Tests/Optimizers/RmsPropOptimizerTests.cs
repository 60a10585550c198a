namespace GdTrainer.Tests.Optimizers;

using GdTrainer.Autograd;
using GdTrainer.Optimizers;

public sealed class RmsPropOptimizerTests
{
    [Theory]
    [InlineData(0.01, 0.99, 1e-8, 0.0, 0.0, false)] // PyTorch defaults
    [InlineData(0.01, 0.9, 1e-8, 0.1, 0.0, false)] // L2 weight decay
    [InlineData(0.01, 0.9, 1e-6, 0.0, 0.9, false)] // momentum
    [InlineData(0.01, 0.9, 1e-8, 0.0, 0.0, true)] // centred
    [InlineData(0.005, 0.8, 1e-4, 0.05, 0.5, true)] // all of them
    public void StepsFollowTheAlgorithmBox(double lr, double alpha, double eps, double weightDecay, double momentum, bool centered)
    {
        var problem = new QuadraticProblem();
        var p = problem.NewParameter();
        var optimizer = new RmsPropOptimizer([p], (float)lr, (float)alpha, (float)eps, (float)weightDecay, (float)momentum, centered);
        problem.AssertFollows(optimizer, p, ReferenceOptimizers.RmsProp(F(lr), F(alpha), F(eps), F(weightDecay), F(momentum), centered));
    }

    [Fact]
    public void DefaultsAreThoseOfPyTorch()
    {
        var optimizer = new RmsPropOptimizer([Tensor.From<float>([1f], requiresGrad: true)]);
        Assert.Equal((1e-2f, 0.99f, 1e-8f, 0f, 0f, false), (optimizer.LearningRate, optimizer.Alpha, optimizer.Epsilon, optimizer.WeightDecay, optimizer.Momentum, optimizer.Centered));
    }

    private static double F(double x) => (float)x;
}
