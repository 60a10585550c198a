namespace GdTrainer.Tests.Optimizers;

using GdTrainer.Autograd;
using GdTrainer.Optimizers;

public sealed class AdagradOptimizerTests
{
    [Theory]
    [InlineData(0.1, 0.0, 0.0, 0.0, 1e-10)] // PyTorch defaults but the learning rate
    [InlineData(0.1, 0.5, 0.0, 0.0, 1e-10)] // learning-rate decay
    [InlineData(0.1, 0.0, 0.2, 0.0, 1e-10)] // L2 weight decay
    [InlineData(0.1, 0.0, 0.0, 0.5, 1e-10)] // initial accumulator
    [InlineData(0.3, 0.1, 0.05, 0.1, 1e-3)] // all of them
    public void StepsFollowTheAlgorithmBox(double lr, double lrDecay, double weightDecay, double initialAccumulator, double eps)
    {
        var problem = new QuadraticProblem();
        var p = problem.NewParameter();
        var optimizer = new AdagradOptimizer([p], (float)lr, (float)lrDecay, (float)weightDecay, (float)initialAccumulator, (float)eps);
        problem.AssertFollows(optimizer, p, ReferenceOptimizers.Adagrad(F(lr), F(lrDecay), F(weightDecay), F(initialAccumulator), F(eps)));
    }

    [Fact]
    public void DefaultsAreThoseOfPyTorch()
    {
        var optimizer = new AdagradOptimizer([Tensor.From<float>([1f], requiresGrad: true)]);
        Assert.Equal((1e-2f, 0f, 0f, 0f, 1e-10f), (optimizer.LearningRate, optimizer.LearningRateDecay, optimizer.WeightDecay, optimizer.InitialAccumulatorValue, optimizer.Epsilon));
    }

    private static double F(double x) => (float)x;
}
