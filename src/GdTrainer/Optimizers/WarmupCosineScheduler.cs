namespace GdTrainer.Optimizers;

/// <summary>
/// A linear warm-up followed by cosine annealing to a floor, stepped once per optimizer step; the PyTorch
/// equivalent is <c>SequentialLR([LinearLR(start_factor, total_iters=warmupSteps), CosineAnnealingLR(T_max=totalSteps − warmupSteps, eta_min)], milestones=[warmupSteps])</c>:
/// <code>
/// t &lt; warmupSteps:  lr_t = initial·(startFactor + (1 − startFactor)·t / warmupSteps)
/// t ≥ warmupSteps:  lr_t = min + (initial − min)·(1 + cos(π·min(1, (t − warmupSteps) / (totalSteps − warmupSteps)))) / 2
/// </code>
/// The rate reaches the initial rate at t = warmupSteps and the floor at t = totalSteps, where it stays.
/// </summary>
public sealed class WarmupCosineScheduler : ClosedFormScheduler
{
    /// <summary>Creates the scheduler and applies step 0 (the reduced starting rate, before the first optimizer step).</summary>
    /// <param name="optimizer">The optimizer whose group rates the scheduler writes.</param>
    /// <param name="warmupSteps">The length of the warm-up; &gt;= 0 (0: no warm-up).</param>
    /// <param name="totalSteps">The step at which the floor is reached; &gt; <paramref name="warmupSteps"/>.</param>
    /// <param name="minimumLearningRate">The floor, the same for every group (default 0); &gt;= 0.</param>
    /// <param name="startFactor">The fraction of the initial rate the warm-up starts from (PyTorch <c>LinearLR</c>'s <c>start_factor</c>, default 1/3); in (0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range.</exception>
    public WarmupCosineScheduler(Optimizer optimizer, int warmupSteps, int totalSteps, float minimumLearningRate = 0f, float startFactor = 1f / 3f)
        : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        if (totalSteps <= warmupSteps)
        {
            throw new ArgumentOutOfRangeException(
                nameof(totalSteps), totalSteps, $"The total number of steps must exceed the {warmupSteps} warm-up steps, so that some steps are annealed.");
        }

        OptimizerChecks.NonNegative(minimumLearningRate, nameof(minimumLearningRate), "minimum learning rate");
        if (!(startFactor > 0f && startFactor <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, $"The start factor must be in (0, 1], but was {OptimizerChecks.Format(startFactor)}.");
        }

        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        MinimumLearningRate = minimumLearningRate;
        StartFactor = startFactor;
        Apply();
    }

    /// <summary>The length of the warm-up.</summary>
    public int WarmupSteps { get; }

    /// <summary>The step at which the floor is reached.</summary>
    public int TotalSteps { get; }

    /// <summary>The floor of the rate.</summary>
    public float MinimumLearningRate { get; }

    /// <summary>The fraction of the initial rate the warm-up starts from.</summary>
    public float StartFactor { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(double initialLearningRate, int step)
    {
        if (step < WarmupSteps)
        {
            return initialLearningRate * (StartFactor + ((1.0 - StartFactor) * step / WarmupSteps));
        }

        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps));
        return CosineAnnealingScheduler.Cosine(initialLearningRate, MinimumLearningRate, progress);
    }
}
