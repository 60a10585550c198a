namespace GdTrainer.Optimizers;

/// <summary>
/// Multiplies the rate by <c>gamma</c> every <c>stepSize</c> steps (PyTorch's <c>StepLR</c>):
/// <c>lr_t = initial·gamma^⌊t / stepSize⌋</c>. Usually stepped once per epoch.
/// </summary>
public sealed class StepScheduler : ClosedFormScheduler
{
    /// <summary>Creates the scheduler and applies step 0 (which leaves the initial rates).</summary>
    /// <param name="optimizer">The optimizer whose group rates the scheduler writes.</param>
    /// <param name="stepSize">The number of steps between reductions (PyTorch <c>step_size</c>); &gt; 0.</param>
    /// <param name="gamma">The factor of each reduction (PyTorch <c>gamma</c>, default 0.1); &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range.</exception>
    public StepScheduler(Optimizer optimizer, int stepSize, float gamma = 0.1f)
        : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        OptimizerChecks.Positive(gamma, nameof(gamma), "gamma (factor of each reduction)");
        StepSize = stepSize;
        Gamma = gamma;
        Apply();
    }

    /// <summary>The number of steps between reductions.</summary>
    public int StepSize { get; }

    /// <summary>The factor of each reduction.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(double initialLearningRate, int step) => initialLearningRate * Math.Pow(Gamma, step / StepSize);
}
