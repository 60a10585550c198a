namespace GdTrainer.Tests.Optimizers;

using GdTrainer.Autograd;
using GdTrainer.Optimizers;

public sealed class AdamWOptimizerTests
{
    [Theory]
    [InlineData(0.1, 0.9, 0.999, 1e-8, 0.01, false)] // PyTorch's default decay
    [InlineData(0.1, 0.9, 0.999, 1e-8, 0.5, false)] // strong decay, so that it shows
    [InlineData(0.2, 0.8, 0.6, 1e-6, 0.2, true)] // AMSGrad
    public void StepsFollowTheAlgorithmBox(double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad)
    {
        var problem = new QuadraticProblem();
        var p = problem.NewParameter();
        var optimizer = new AdamWOptimizer([p], (float)lr, (float)beta1, (float)beta2, (float)eps, (float)weightDecay, amsgrad);
        problem.AssertFollows(optimizer, p, ReferenceOptimizers.Adam(F(lr), F(beta1), F(beta2), F(eps), F(weightDecay), amsgrad, decoupled: true), steps: 8);
    }

    [Fact]
    public void DecayIsDecoupledFromTheGradientAverages()
    {
        // With a zero gradient, Adam's moments stay zero, so the only change is θ·(1 − lr·wd); Adam with L2 would instead
        // feed wd·θ through the moments and move θ by about lr.
        var p = Tensor.From<float>([2f], requiresGrad: true);
        p.Grad = Tensor.From<float>([0f]);
        var optimizer = new AdamWOptimizer([p], learningRate: 0.1f, weightDecay: 0.5f);
        optimizer.Step();
        Assert.Equal(2.0 * (1.0 - (0.1 * 0.5)), p.Item(), 1e-6);
    }

    [Fact]
    public void TheDefaultWeightDecayIsPyTorchs()
    {
        var optimizer = new AdamWOptimizer([Tensor.From<float>([1f], requiresGrad: true)]);
        Assert.Equal(1e-2f, optimizer.WeightDecay);
        Assert.Equal(1e-3f, optimizer.LearningRate);
    }

    private static double F(double x) => (float)x;
}
