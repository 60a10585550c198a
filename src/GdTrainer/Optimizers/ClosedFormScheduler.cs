namespace GdTrainer.Optimizers;

/// <summary>
/// A scheduler whose rate is a function of the step count and each group's initial rate only (PyTorch's closed
/// forms, <c>_get_closed_form_lr</c>): <see cref="Step"/> advances the count and writes
/// <see cref="LearningRateAt"/> into every group. Like PyTorch, construction applies step 0 at once (so a
/// warm-up starts at its reduced rate before the first optimizer step). Derive from it for a custom schedule
/// (PyTorch's <c>LambdaLR</c>): override <see cref="LearningRateAt"/> and call <see cref="Apply"/> at the end of the constructor.
/// </summary>
public abstract class ClosedFormScheduler : Scheduler
{
    /// <summary>Binds the scheduler; derived constructors call <see cref="Apply"/> once their settings are stored.</summary>
    /// <param name="optimizer">The optimizer whose group rates the scheduler writes.</param>
    protected ClosedFormScheduler(Optimizer optimizer)
        : base(optimizer)
    {
    }

    /// <summary>Advances the schedule by one step (PyTorch's <c>scheduler.step()</c>) and writes the new rate into every group. Allocates nothing.</summary>
    public void Step()
    {
        StepCount++;
        Apply();
    }

    /// <summary>The rate of a group whose initial rate is <paramref name="initialLearningRate"/> after <paramref name="step"/> scheduler steps.</summary>
    /// <param name="initialLearningRate">The group's initial rate.</param>
    /// <param name="step">The number of scheduler steps taken (&gt;= 0).</param>
    /// <returns>The scheduled rate (&gt;= 0).</returns>
    public abstract double LearningRateAt(double initialLearningRate, int step);

    /// <summary>Writes the rate of the current step (<see cref="Scheduler.StepCount"/>) into every group.</summary>
    protected void Apply()
    {
        IReadOnlyList<float> initial = InitialLearningRates;
        for (int g = 0; g < initial.Count; g++)
        {
            SetLearningRate(g, (float)LearningRateAt(initial[g], StepCount));
        }
    }
}
