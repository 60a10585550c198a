namespace GdTrainer.Optimizers;

/// <summary>Computes the learning rate of a step under a <see cref="LearningRateSchedule"/>.</summary>
public static class LearningRateScheduler
{
    /// <summary>The learning rate for step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    /// <param name="schedule">The schedule.</param>
    /// <param name="initialLearningRate">The learning rate of step 0 (positive).</param>
    /// <param name="step">The step, from 0 to <paramref name="totalSteps"/> - 1.</param>
    /// <param name="totalSteps">The number of steps of the whole run (at least 1).</param>
    /// <returns>A positive learning rate (cosine annealing never quite reaches zero on the last step).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The step is outside [0, totalSteps), or the schedule is unknown.</exception>
    public static float LearningRateAt(LearningRateSchedule schedule, float initialLearningRate, long step, long totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        if (step < 0 || step >= totalSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, $"The step must be in [0, {totalSteps}).");
        }

        return schedule switch
        {
            LearningRateSchedule.Constant or LearningRateSchedule.Adaptive => initialLearningRate, // Adaptive changes only between epochs.
            LearningRateSchedule.Cosine => (float)(initialLearningRate * 0.5 * (1 + Math.Cos(Math.PI * step / totalSteps))),
            _ => throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "Unknown learning-rate schedule."),
        };
    }
}
