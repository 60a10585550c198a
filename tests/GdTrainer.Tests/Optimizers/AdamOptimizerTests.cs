namespace GdTrainer.Tests.Optimizers;

using GdTrainer.Autograd;
using GdTrainer.Optimizers;

public sealed class AdamOptimizerTests
{
    [Theory]
    [InlineData(0.1, 0.9, 0.999, 1e-8, 0.0, false)] // PyTorch defaults but the learning rate
    [InlineData(0.1, 0.9, 0.999, 1e-8, 0.1, false)] // L2 weight decay
    [InlineData(0.2, 0.9, 0.6, 1e-8, 0.0, true)] // AMSGrad, with a β2 low enough for the maximum to matter
    [InlineData(0.05, 0.5, 0.9, 1e-3, 0.05, true)] // everything changed
    public void StepsFollowTheAlgorithmBox(double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad)
    {
        var problem = new QuadraticProblem();
        var p = problem.NewParameter();
        var optimizer = new AdamOptimizer([p], (float)lr, (float)beta1, (float)beta2, (float)eps, (float)weightDecay, amsgrad);
        problem.AssertFollows(optimizer, p, ReferenceOptimizers.Adam(F(lr), F(beta1), F(beta2), F(eps), F(weightDecay), amsgrad), steps: 8);
    }

    [Fact]
    public void AmsGradChangesTheTrajectoryOfTheTestProblem()
    {
        // Guards the AMSGrad case above: on this problem the running maximum of v is used, so plain Adam would fail it.
        var problem = new QuadraticProblem();
        double[] withMax = (double[])problem.Start.Clone(), without = (double[])problem.Start.Clone();
        var ams = ReferenceOptimizers.Adam(0.2, 0.9, 0.6, 1e-8, 0, amsgrad: true);
        var plain = ReferenceOptimizers.Adam(0.2, 0.9, 0.6, 1e-8, 0, amsgrad: false);
        for (int t = 0; t < 8; t++)
        {
            ams(withMax, problem.Gradient(withMax));
            plain(without, problem.Gradient(without));
        }

        Assert.True(QuadraticProblem.MaxDifference(withMax, without) > 1e-3);
    }

    [Fact]
    public void TheFirstStepMovesEachElementByTheLearningRate()
    {
        // With bias correction, m̂ = g and v̂ = g² on step 1, so θ moves by lr·g/(|g| + ε) ≈ lr·sign(g) whatever |g| is.
        var p = Tensor.From<float>([1f, -1f], requiresGrad: true);
        var optimizer = new AdamOptimizer([p], learningRate: 0.01f);
        (p * Tensor.From<float>([1000f, -0.001f])).Sum().Backward();
        optimizer.Step();
        Assert.Equal(1.0 - 0.01, p[0], 1e-6);
        Assert.Equal(-1.0 + 0.01, p[1], 1e-5);
    }

    [Fact]
    public void DefaultsAreThoseOfPyTorch()
    {
        var optimizer = new AdamOptimizer([Tensor.From<float>([1f], requiresGrad: true)]);
        Assert.Equal((1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false), (optimizer.LearningRate, optimizer.Beta1, optimizer.Beta2, optimizer.Epsilon, optimizer.WeightDecay, optimizer.AmsGrad));
    }

    private static double F(double x) => (float)x;
}
