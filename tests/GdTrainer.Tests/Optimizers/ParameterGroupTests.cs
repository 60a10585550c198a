namespace GdTrainer.Tests.Optimizers;

using GdTrainer.Autograd;
using GdTrainer.Models;
using GdTrainer.Optimizers;

public sealed class ParameterGroupTests
{
    [Fact]
    public void EachGroupStepsWithItsOwnRateAndDecayOrTheOptimizers()
    {
        var problem = new QuadraticProblem();
        var own = problem.NewParameter();
        var inherited = problem.NewParameter();
        var optimizer = new AdamOptimizer(
            [new ParameterGroup([own], weightDecay: 0.2f, learningRate: 0.05f), new ParameterGroup([inherited])],
            learningRate: 0.1f,
            weightDecay: 0.01f);
        double[] ownTheta = (double[])problem.Start.Clone(), inheritedTheta = (double[])problem.Start.Clone();
        var ownReference = ReferenceOptimizers.Adam(F(0.05), F(0.9), F(0.999), F(1e-8), F(0.2), amsgrad: false);
        var inheritedReference = ReferenceOptimizers.Adam(F(0.1), F(0.9), F(0.999), F(1e-8), F(0.01), amsgrad: false);

        for (int step = 0; step < 5; step++)
        {
            optimizer.ZeroGrad();
            problem.Backward(own);
            problem.Backward(inherited);
            optimizer.Step();
            ownReference(ownTheta, problem.Gradient(ownTheta));
            inheritedReference(inheritedTheta, problem.Gradient(inheritedTheta));
        }

        AssertClose(ownTheta, own);
        AssertClose(inheritedTheta, inherited);
        Assert.True(QuadraticProblem.MaxDifference(ownTheta, inheritedTheta) > 1e-2); // The settings made a difference.
    }

    [Fact]
    public void WeightsAndBiasesDecaysOnlyTheWeights()
    {
        var weight = Tensor.From<float>([1f, 2f], requiresGrad: true);
        var bias = Tensor.From<float>([3f], requiresGrad: true);
        IReadOnlyList<ParameterGroup> groups = ParameterGroup.WeightsAndBiases(
            [new ModuleParameter("weight", weight, ParameterKind.Weight), new ModuleParameter("bias", bias, ParameterKind.Bias)], weightDecay: 0.5f);

        Assert.Equal(2, groups.Count);
        Assert.Same(weight, Assert.Single(groups[0].Parameters));
        Assert.Same(bias, Assert.Single(groups[1].Parameters));
        Assert.Equal(0.5f, groups[0].WeightDecay);
        Assert.Equal(0f, groups[1].WeightDecay); // Explicitly 0: AdamW's default 1e-2 must not reach the biases.

        var optimizer = new AdamWOptimizer(groups, learningRate: 0.1f);
        weight.Grad = Tensor.From<float>([0f, 0f]);
        bias.Grad = Tensor.From<float>([0f]);
        optimizer.Step();
        Assert.Equal([1f * 0.95f, 2f * 0.95f], weight.ToArray());
        Assert.Equal(3f, bias.Item());
    }

    [Fact]
    public void SettingTheOptimizersRateSetsEveryGroupsRate()
    {
        var a = new ParameterGroup([Tensor.From<float>([1f], requiresGrad: true)], learningRate: 0.5f);
        var b = new ParameterGroup([Tensor.From<float>([1f], requiresGrad: true)]);
        var optimizer = new SgdOptimizer([a, b], learningRate: 0.1f);
        Assert.Equal(0.5f, optimizer.LearningRateOf(a));
        Assert.Equal(0.1f, optimizer.LearningRateOf(b));

        optimizer.LearningRate = 0.02f;
        Assert.Equal(0.02f, optimizer.LearningRate);
        Assert.Equal(0.02f, optimizer.LearningRateOf(a));
        Assert.Equal(0.02f, optimizer.LearningRateOf(b));

        // And the step uses it: p -= 0.02·1.
        Tensor<float> p = a.Parameters[0];
        p.Grad = Tensor.From<float>([1f]);
        optimizer.Step();
        Assert.Equal(0.98, p.Item(), 1e-7);
    }

    [Fact]
    public void InvalidGroupsAreRejected()
    {
        var p = Tensor.From<float>([1f], requiresGrad: true);
        Assert.Equal("groups", Assert.Throws<ArgumentException>(() => new SgdOptimizer([new ParameterGroup([p]), new ParameterGroup([p])])).ParamName);
        Assert.Equal("groups", Assert.Throws<ArgumentException>(() => new AdamOptimizer([new ParameterGroup([p, p])])).ParamName);
        Assert.Equal("groups", Assert.Throws<ArgumentException>(() => new AdamOptimizer(Array.Empty<ParameterGroup>())).ParamName);
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new ParameterGroup([p], learningRate: -1f)).ParamName);
        Assert.Equal("weightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new ParameterGroup([p], weightDecay: float.NaN)).ParamName);
        Assert.Equal("LearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new ParameterGroup([p]) { LearningRate = float.PositiveInfinity }).ParamName);
        Assert.Contains("leaf", Assert.Throws<ArgumentException>(() => new ParameterGroup([p * 2f])).Message);
    }

    private static void AssertClose(double[] expected, Tensor<float> actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual.Data[i], 2e-5);
        }
    }

    private static double F(double x) => (float)x;
}
