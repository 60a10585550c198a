namespace GdTrainer.Tests.Optimizers;

using GdTrainer.Autograd;
using GdTrainer.Optimizers;

public sealed class ReduceOnPlateauSchedulerTests
{
    private static SgdOptimizer NewOptimizer(float learningRate = 1f) => new([Tensor.From<float>([1f], requiresGrad: true)], learningRate);

    [Fact]
    public void FollowsPyTorchsRulesWithCooldownAndFloor()
    {
        // mode min, factor 0.5, patience 2, threshold 0.1 relative (better means < 0.9·best), cooldown 1, floor 0.2.
        // The trace below is worked out by hand from PyTorch's ReduceLROnPlateau.step:
        //   better → best = metric, bad = 0; else bad += 1; in cooldown → cooldown -= 1, bad = 0;
        //   bad > patience → lr = max(lr·factor, min_lr) if that changes it by more than eps; cooldown = 1; bad = 0.
        var optimizer = NewOptimizer();
        var scheduler = new ReduceOnPlateauScheduler(optimizer, factor: 0.5f, patience: 2, threshold: 0.1f, cooldown: 1, minimumLearningRate: 0.2f);
        (double Metric, double Best, int Bad, int Cooldown, double Rate, bool Reduced)[] trace =
        [
            (10.0, 10.0, 0, 0, 1.0, false),  // first metric beats +inf
            (9.5, 10.0, 1, 0, 1.0, false),   // not below 9.0
            (9.2, 10.0, 2, 0, 1.0, false),
            (9.1, 10.0, 0, 1, 0.5, true),    // bad 3 > patience 2: halve, start the cooldown
            (9.05, 10.0, 0, 0, 0.5, false),  // bad step ignored in the cooldown
            (8.9, 8.9, 0, 0, 0.5, false),    // below 9.0: new best
            (9.0, 8.9, 1, 0, 0.5, false),
            (9.0, 8.9, 2, 0, 0.5, false),
            (9.0, 8.9, 0, 1, 0.25, true),
            (9.0, 8.9, 0, 0, 0.25, false),   // cooldown
            (9.0, 8.9, 1, 0, 0.25, false),
            (9.0, 8.9, 2, 0, 0.25, false),
            (9.0, 8.9, 0, 1, 0.2, true),     // max(0.125, 0.2): the floor
            (9.0, 8.9, 0, 0, 0.2, false),
            (9.0, 8.9, 1, 0, 0.2, false),
            (9.0, 8.9, 2, 0, 0.2, false),
            (9.0, 8.9, 0, 1, 0.2, false),    // at the floor: no change, but the cooldown still starts
            (double.NaN, 8.9, 0, 0, 0.2, false), // NaN is never better; ignored here by the cooldown
            (double.NaN, 8.9, 1, 0, 0.2, false),
        ];

        for (int i = 0; i < trace.Length; i++)
        {
            var row = trace[i];
            bool reduced = scheduler.Step(row.Metric);
            Assert.True(
                (row.Best, row.Bad, row.Cooldown, row.Reduced) == (scheduler.Best, scheduler.BadSteps, scheduler.CooldownCounter, reduced),
                $"Step {i + 1}: expected best {row.Best}, bad {row.Bad}, cooldown {row.Cooldown}, reduced {row.Reduced}; " +
                $"got {scheduler.Best}, {scheduler.BadSteps}, {scheduler.CooldownCounter}, {reduced}.");
            Assert.Equal(row.Rate, optimizer.LearningRateOf(optimizer.Groups[0]), 1e-7);
            Assert.Equal(i + 1, scheduler.StepCount);
        }
    }

    [Fact]
    public void MaxModeWithAnAbsoluteThreshold()
    {
        // mode max, threshold 0.5 absolute (better means > best + 0.5), patience 0 (reduce on the first bad step), factor 0.1.
        var optimizer = NewOptimizer(0.1f);
        var scheduler = new ReduceOnPlateauScheduler(optimizer, PlateauMode.Max, factor: 0.1f, patience: 0, threshold: 0.5f, thresholdMode: PlateauThresholdMode.Absolute);
        Assert.Equal(double.NegativeInfinity, scheduler.Best);
        Assert.False(scheduler.Step(0.6)); // best 0.6
        Assert.False(scheduler.Step(1.2)); // 1.2 > 1.1: best 1.2
        Assert.True(scheduler.Step(1.6)); // 1.6 is not > 1.7: bad 1 > 0, reduce
        Assert.Equal(0.01, optimizer.LearningRateOf(optimizer.Groups[0]), 1e-9);
        Assert.Equal(1.2, scheduler.Best);
        Assert.False(scheduler.Step(2.0)); // 2.0 > 1.7: better
        Assert.Equal(2.0, scheduler.Best);
    }

    [Fact]
    public void ChangesSmallerThanEpsAreSkipped()
    {
        var optimizer = NewOptimizer(1e-8f);
        var scheduler = new ReduceOnPlateauScheduler(optimizer, patience: 0); // eps 1e-8: 1e-8 → 1e-9 changes by 9e-9 < eps.
        scheduler.Step(1.0);
        Assert.False(scheduler.Step(1.0));
        Assert.Equal(1e-8f, optimizer.LearningRateOf(optimizer.Groups[0]));
    }

    [Fact]
    public void ConstructionChangesNoRateAndDefaultsAreThoseOfPyTorch()
    {
        var optimizer = NewOptimizer(0.3f);
        var scheduler = new ReduceOnPlateauScheduler(optimizer);
        Assert.Equal(0.3f, scheduler.LearningRate);
        Assert.Equal(
            (PlateauMode.Min, 0.1f, 10, 1e-4f, PlateauThresholdMode.Relative, 0, 0f, 1e-8f),
            (scheduler.Mode, scheduler.Factor, scheduler.Patience, scheduler.Threshold, scheduler.ThresholdMode, scheduler.Cooldown, scheduler.MinimumLearningRate, scheduler.Eps));
    }

    [Fact]
    public void InvalidSettingsAreRejectedByName()
    {
        var optimizer = NewOptimizer();
        Assert.Equal("factor", Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceOnPlateauScheduler(optimizer, factor: 1f)).ParamName);
        Assert.Equal("patience", Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceOnPlateauScheduler(optimizer, patience: -1)).ParamName);
        Assert.Equal("threshold", Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceOnPlateauScheduler(optimizer, threshold: -1f)).ParamName);
        Assert.Equal("cooldown", Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceOnPlateauScheduler(optimizer, cooldown: -1)).ParamName);
        Assert.Equal("minimumLearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceOnPlateauScheduler(optimizer, minimumLearningRate: -1f)).ParamName);
        Assert.Equal("mode", Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceOnPlateauScheduler(optimizer, (PlateauMode)7)).ParamName);
    }
}
