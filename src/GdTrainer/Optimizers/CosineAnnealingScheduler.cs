namespace GdTrainer.Optimizers;

/// <summary>
/// Anneals the rate along half a cosine from each group's initial rate down to a floor over <c>tMax</c> steps
/// (PyTorch's <c>CosineAnnealingLR</c>, closed form):
/// <c>lr_t = min + (initial − min)·(1 + cos(π·t / tMax)) / 2</c> for t ≤ tMax, and <c>min</c> after.
/// </summary>
/// <remarks>
/// One deliberate difference from PyTorch: after tMax PyTorch's rate rises again along the cosine (period 2·tMax);
/// here it stays at the floor, which is what a run that outlasts its schedule wants.
/// </remarks>
public sealed class CosineAnnealingScheduler : ClosedFormScheduler
{
    /// <summary>Creates the scheduler and applies step 0 (which leaves the initial rates).</summary>
    /// <param name="optimizer">The optimizer whose group rates the scheduler writes.</param>
    /// <param name="tMax">The number of steps to reach the floor (PyTorch <c>T_max</c>); &gt; 0.</param>
    /// <param name="minimumLearningRate">The floor, the same for every group (PyTorch <c>eta_min</c>, default 0); &gt;= 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range.</exception>
    public CosineAnnealingScheduler(Optimizer optimizer, int tMax, float minimumLearningRate = 0f)
        : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tMax);
        OptimizerChecks.NonNegative(minimumLearningRate, nameof(minimumLearningRate), "minimum learning rate");
        TMax = tMax;
        MinimumLearningRate = minimumLearningRate;
        Apply();
    }

    /// <summary>The number of steps to reach the floor.</summary>
    public int TMax { get; }

    /// <summary>The floor of the rate.</summary>
    public float MinimumLearningRate { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(double initialLearningRate, int step) =>
        step >= TMax ? MinimumLearningRate : Cosine(initialLearningRate, MinimumLearningRate, (double)step / TMax);

    /// <summary><c>min + (initial − min)·(1 + cos(π·progress)) / 2</c>.</summary>
    internal static double Cosine(double initial, double minimum, double progress) => minimum + ((initial - minimum) * 0.5 * (1.0 + Math.Cos(Math.PI * progress)));
}
