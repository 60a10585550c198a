namespace GdTrainer.Tests.Optimizers;

using GdTrainer.Autograd;
using GdTrainer.Optimizers;

public sealed class SchedulerTests
{
    // Two groups with different initial rates: every schedule must scale each group's own rate.
    private static SgdOptimizer NewOptimizer() => new(
        [new ParameterGroup([Tensor.From<float>([1f], requiresGrad: true)], learningRate: 0.5f), new ParameterGroup([Tensor.From<float>([1f], requiresGrad: true)])],
        learningRate: 0.1f);

    [Fact]
    public void StepSchedulerMultipliesByGammaEveryStepSize()
    {
        var optimizer = NewOptimizer();
        var scheduler = new StepScheduler(optimizer, stepSize: 3, gamma: 0.5f);
        AssertFollows(scheduler, 12, (initial, t) => initial * Math.Pow(0.5, t / 3));
    }

    [Fact]
    public void ExponentialSchedulerMultipliesByGammaEveryStep()
    {
        var scheduler = new ExponentialScheduler(NewOptimizer(), gamma: 0.9f);
        AssertFollows(scheduler, 12, (initial, t) => initial * Math.Pow(F(0.9), t));
    }

    [Fact]
    public void CosineAnnealingReachesTheFloorAtTMaxAndStaysThere()
    {
        var scheduler = new CosineAnnealingScheduler(NewOptimizer(), tMax: 8, minimumLearningRate: 0.01f);
        double floor = F(0.01);
        AssertFollows(scheduler, 12, (initial, t) => t >= 8 ? floor : floor + ((initial - floor) * (1 + Math.Cos(Math.PI * t / 8)) / 2));
        Assert.Equal(0.01f, scheduler.LearningRate);
    }

    [Fact]
    public void WarmupCosineRisesLinearlyThenAnneals()
    {
        var optimizer = NewOptimizer();
        var scheduler = new WarmupCosineScheduler(optimizer, warmupSteps: 4, totalSteps: 10, minimumLearningRate: 0.001f, startFactor: 0.25f);
        Assert.Equal(0.5 * 0.25, scheduler.LearningRateOf(0), 1e-7); // Applied on construction, before the first optimizer step.
        double floor = F(0.001);
        AssertFollows(scheduler, 14, (initial, t) => t switch
        {
            < 4 => initial * (0.25 + (0.75 * t / 4.0)),
            >= 10 => floor,
            _ => floor + ((initial - floor) * (1 + Math.Cos(Math.PI * (t - 4) / 6.0)) / 2),
        });
    }

    [Fact]
    public void WarmupCosineHitsItsLandmarks()
    {
        var scheduler = new WarmupCosineScheduler(NewOptimizer(), warmupSteps: 5, totalSteps: 15);
        Assert.Equal(0.5 / 3, scheduler.LearningRateAt(0.5, 0), 1e-7); // PyTorch LinearLR's default start factor, 1/3.
        Assert.Equal(0.5, scheduler.LearningRateAt(0.5, 5), 1e-12); // End of the warm-up: the full rate.
        Assert.Equal(0.25, scheduler.LearningRateAt(0.5, 10), 1e-12); // Half-way through the cosine: half.
        Assert.Equal(0.0, scheduler.LearningRateAt(0.5, 15), 1e-12);
    }

    [Fact]
    public void ConstantSchedulerKeepsTheRateOrAppliesItsFactorFirst()
    {
        var unchanged = new ConstantScheduler(NewOptimizer());
        AssertFollows(unchanged, 5, (initial, _) => initial);

        var reduced = new ConstantScheduler(NewOptimizer(), factor: 0.5f, totalSteps: 3);
        AssertFollows(reduced, 6, (initial, t) => t < 3 ? initial * 0.5 : initial);
    }

    [Fact]
    public void ACustomClosedFormNeedsOnlyItsFormula()
    {
        var scheduler = new InverseSquareRootScheduler(NewOptimizer());
        AssertFollows(scheduler, 6, (initial, t) => initial / Math.Sqrt(t + 1));
    }

    [Fact]
    public void TheOptimizerStepsWithTheScheduledRate()
    {
        var p = Tensor.From<float>([1f], requiresGrad: true);
        var optimizer = new SgdOptimizer([p], learningRate: 0.1f);
        var scheduler = new StepScheduler(optimizer, stepSize: 1, gamma: 0.5f);
        p.Grad = Tensor.From<float>([1f]);
        double expected = 1.0;
        for (int t = 0; t < 4; t++)
        {
            optimizer.Step();
            expected -= F(0.1) * Math.Pow(0.5, t);
            scheduler.Step();
        }

        Assert.Equal(expected, p.Item(), 1e-6);
    }

    [Fact]
    public void SchedulerStepsAllocateNothing()
    {
        var scheduler = new CosineAnnealingScheduler(NewOptimizer(), tMax: 100);
        scheduler.Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 50; t++)
        {
            scheduler.Step();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void InvalidSettingsAreRejectedByName()
    {
        var optimizer = NewOptimizer();
        Assert.Equal("stepSize", Assert.Throws<ArgumentOutOfRangeException>(() => new StepScheduler(optimizer, 0)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new StepScheduler(optimizer, 1, gamma: 0f)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialScheduler(optimizer, float.NaN)).ParamName);
        Assert.Equal("tMax", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingScheduler(optimizer, 0)).ParamName);
        Assert.Equal("minimumLearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingScheduler(optimizer, 5, -1f)).ParamName);
        Assert.Equal("totalSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineScheduler(optimizer, 10, 10)).ParamName);
        Assert.Equal("warmupSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineScheduler(optimizer, -1, 10)).ParamName);
        Assert.Equal("startFactor", Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineScheduler(optimizer, 1, 10, startFactor: 0f)).ParamName);
        Assert.Equal("factor", Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantScheduler(optimizer, factor: 1.5f)).ParamName);
        Assert.Equal("totalSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantScheduler(optimizer, totalSteps: -1)).ParamName);
        Assert.Throws<ArgumentNullException>(() => new ExponentialScheduler(null!, 0.5f));
    }

    /// <summary>Checks both groups from construction (step 0) through <paramref name="steps"/> steps against the closed form.</summary>
    private static void AssertFollows(ClosedFormScheduler scheduler, int steps, Func<double, int, double> closedForm)
    {
        double[] initial = [0.5, F(0.1)];
        Assert.Equal([0.5f, 0.1f], scheduler.InitialLearningRates);
        for (int t = 0; t <= steps; t++)
        {
            Assert.Equal(t, scheduler.StepCount);
            for (int g = 0; g < 2; g++)
            {
                double expected = closedForm(initial[g], t);
                Assert.True(
                    Math.Abs(expected - scheduler.LearningRateOf(g)) <= 1e-7 * Math.Max(1e-3, expected),
                    $"Step {t}, group {g}: expected {expected:R}, got {scheduler.LearningRateOf(g):R}.");
                Assert.Equal(expected, scheduler.LearningRateAt(initial[g], t), 1e-6);
            }

            scheduler.Step();
        }
    }

    private static double F(double x) => (float)x;

    /// <summary>A user-defined schedule (what PyTorch's LambdaLR is for): lr_t = initial / √(t + 1).</summary>
    private sealed class InverseSquareRootScheduler : ClosedFormScheduler
    {
        public InverseSquareRootScheduler(Optimizer optimizer)
            : base(optimizer)
        {
            Apply();
        }

        public override double LearningRateAt(double initialLearningRate, int step) => initialLearningRate / Math.Sqrt(step + 1);
    }
}
