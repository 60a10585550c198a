namespace GdTrainer.Tests.Optimizers;

using GdTrainer.Optimizers;

public sealed class LearningRateSchedulerTests
{
    [Theory]
    [InlineData(0, 100, 0.1)] // cos(0) = 1: the full rate.
    [InlineData(50, 100, 0.05)] // cos(pi / 2) = 0: half.
    [InlineData(25, 100, 0.0853553390593274)] // (1 + sqrt(2) / 2) / 2 * 0.1
    [InlineData(99, 100, 0.0000246719817)] // (1 + cos(0.99 pi)) / 2 * 0.1: small but positive.
    public void CosineFollowsTheAnnealingFormula(long step, long total, double expected)
    {
        Assert.Equal(expected, LearningRateScheduler.LearningRateAt(LearningRateSchedule.Cosine, 0.1f, step, total), 1e-7);
    }

    [Fact]
    public void ConstantNeverChanges()
    {
        Assert.Equal(0.3f, LearningRateScheduler.LearningRateAt(LearningRateSchedule.Constant, 0.3f, 0, 10));
        Assert.Equal(0.3f, LearningRateScheduler.LearningRateAt(LearningRateSchedule.Constant, 0.3f, 9, 10));
    }

    [Theory]
    [InlineData(-1, 10)]
    [InlineData(10, 10)]
    public void StepsOutsideTheRunAreRejected(long step, long total)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateScheduler.LearningRateAt(LearningRateSchedule.Cosine, 0.1f, step, total));
        Assert.Equal("step", error.ParamName);
    }
}
