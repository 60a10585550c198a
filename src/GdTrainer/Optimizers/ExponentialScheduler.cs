namespace GdTrainer.Optimizers;

/// <summary>Multiplies the rate by <c>gamma</c> every step (PyTorch's <c>ExponentialLR</c>): <c>lr_t = initial·gamma^t</c>.</summary>
public sealed class ExponentialScheduler : ClosedFormScheduler
{
    /// <summary>Creates the scheduler and applies step 0 (which leaves the initial rates).</summary>
    /// <param name="optimizer">The optimizer whose group rates the scheduler writes.</param>
    /// <param name="gamma">The factor of each step (PyTorch <c>gamma</c>, no default); &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is not a positive finite number.</exception>
    public ExponentialScheduler(Optimizer optimizer, float gamma)
        : base(optimizer)
    {
        OptimizerChecks.Positive(gamma, nameof(gamma), "gamma (factor of each step)");
        Gamma = gamma;
        Apply();
    }

    /// <summary>The factor of each step.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(double initialLearningRate, int step) => initialLearningRate * Math.Pow(Gamma, step);
}
