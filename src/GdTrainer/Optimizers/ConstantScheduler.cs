namespace GdTrainer.Optimizers;

/// <summary>
/// A constant rate, optionally reduced by <c>factor</c> for the first <c>totalSteps</c> steps (PyTorch's
/// <c>ConstantLR</c>): <c>lr_t = initial·factor</c> for t &lt; totalSteps, then <c>initial</c>. With the defaults
/// (factor 1, totalSteps 0) the rate never changes, which makes this the "no schedule" choice of a loop that always
/// steps a scheduler. PyTorch's <c>ConstantLR</c> defaults are factor 1/3 and total_iters 5; pass them to match it.
/// </summary>
public sealed class ConstantScheduler : ClosedFormScheduler
{
    /// <summary>Creates the scheduler and applies step 0.</summary>
    /// <param name="optimizer">The optimizer whose group rates the scheduler writes.</param>
    /// <param name="factor">The factor applied during the first <paramref name="totalSteps"/> steps (default 1); in [0, 1].</param>
    /// <param name="totalSteps">The number of steps the factor applies to (PyTorch <c>total_iters</c>; default 0); &gt;= 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range.</exception>
    public ConstantScheduler(Optimizer optimizer, float factor = 1f, int totalSteps = 0)
        : base(optimizer)
    {
        if (!(factor >= 0f && factor <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"The constant factor must be in [0, 1], but was {OptimizerChecks.Format(factor)}.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(totalSteps);
        Factor = factor;
        TotalSteps = totalSteps;
        Apply();
    }

    /// <summary>The factor applied during the first <see cref="TotalSteps"/> steps.</summary>
    public float Factor { get; }

    /// <summary>The number of steps the factor applies to.</summary>
    public int TotalSteps { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(double initialLearningRate, int step) => step < TotalSteps ? initialLearningRate * Factor : initialLearningRate;
}
