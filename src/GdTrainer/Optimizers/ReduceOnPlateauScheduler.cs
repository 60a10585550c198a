namespace GdTrainer.Optimizers;

/// <summary>
/// Reduces the learning rate when a metric stops improving (PyTorch's <c>ReduceLROnPlateau</c>). Stepped with the
/// metric, usually once per epoch with the validation loss. Each <see cref="Step"/>:
/// <list type="number">
/// <item>if the metric is better than the best so far (see <see cref="PlateauThresholdMode"/>), it becomes the best
/// and the count of bad steps is reset to 0; otherwise the count grows by 1 (a NaN metric is never better);</item>
/// <item>during a cooldown, the cooldown counter decreases by 1 and the count of bad steps is reset to 0;</item>
/// <item>when the count of bad steps exceeds <c>patience</c>, every group's rate becomes
/// <c>max(rate·factor, minimumLearningRate)</c> (a change smaller than <c>eps</c> is skipped), the cooldown
/// starts (<c>cooldown</c> steps) and the count is reset to 0.</item>
/// </list>
/// It reduces the groups' current rates, so it composes with rates set by hand; construction changes no rate.
/// </summary>
public sealed class ReduceOnPlateauScheduler : Scheduler
{
    /// <summary>Creates the scheduler.</summary>
    /// <param name="optimizer">The optimizer whose group rates the scheduler reduces.</param>
    /// <param name="mode">Whether lower or higher metrics are better (PyTorch <c>mode</c>, default <see cref="PlateauMode.Min"/>).</param>
    /// <param name="factor">The factor of each reduction (PyTorch <c>factor</c>, default 0.1); in [0, 1).</param>
    /// <param name="patience">The number of bad steps tolerated before a reduction (PyTorch <c>patience</c>, default 10); &gt;= 0.</param>
    /// <param name="threshold">The least improvement that counts (PyTorch <c>threshold</c>, default 1e-4); &gt;= 0.</param>
    /// <param name="thresholdMode">Whether the threshold is relative or absolute (PyTorch <c>threshold_mode</c>, default <see cref="PlateauThresholdMode.Relative"/>).</param>
    /// <param name="cooldown">The number of steps after a reduction during which bad steps are not counted (PyTorch <c>cooldown</c>, default 0); &gt;= 0.</param>
    /// <param name="minimumLearningRate">The floor of every group's rate (PyTorch <c>min_lr</c>, default 0); &gt;= 0.</param>
    /// <param name="eps">The smallest change of rate that is applied (PyTorch <c>eps</c>, default 1e-8); &gt;= 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range, or a mode is not defined.</exception>
    public ReduceOnPlateauScheduler(
        Optimizer optimizer,
        PlateauMode mode = PlateauMode.Min,
        float factor = 0.1f,
        int patience = 10,
        float threshold = 1e-4f,
        PlateauThresholdMode thresholdMode = PlateauThresholdMode.Relative,
        int cooldown = 0,
        float minimumLearningRate = 0f,
        float eps = 1e-8f)
        : base(optimizer)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "The mode must be PlateauMode.Min or PlateauMode.Max.");
        }

        if (!Enum.IsDefined(thresholdMode))
        {
            throw new ArgumentOutOfRangeException(nameof(thresholdMode), thresholdMode, "The threshold mode must be PlateauThresholdMode.Relative or PlateauThresholdMode.Absolute.");
        }

        if (!(factor >= 0f && factor < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"The reduction factor must be in [0, 1) (PyTorch: 'Factor should be < 1.0'), but was {OptimizerChecks.Format(factor)}.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        OptimizerChecks.NonNegative(threshold, nameof(threshold), "threshold");
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        OptimizerChecks.NonNegative(minimumLearningRate, nameof(minimumLearningRate), "minimum learning rate");
        OptimizerChecks.NonNegative(eps, nameof(eps), "eps (smallest change of rate)");
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        ThresholdMode = thresholdMode;
        Cooldown = cooldown;
        MinimumLearningRate = minimumLearningRate;
        Eps = eps;
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>Whether lower or higher metrics are better.</summary>
    public PlateauMode Mode { get; }

    /// <summary>The factor of each reduction.</summary>
    public float Factor { get; }

    /// <summary>The number of bad steps tolerated before a reduction.</summary>
    public int Patience { get; }

    /// <summary>The least improvement that counts.</summary>
    public float Threshold { get; }

    /// <summary>Whether the threshold is relative or absolute.</summary>
    public PlateauThresholdMode ThresholdMode { get; }

    /// <summary>The number of steps after a reduction during which bad steps are not counted.</summary>
    public int Cooldown { get; }

    /// <summary>The floor of every group's rate.</summary>
    public float MinimumLearningRate { get; }

    /// <summary>The smallest change of rate that is applied.</summary>
    public float Eps { get; }

    /// <summary>The best metric so far (+∞ in <see cref="PlateauMode.Min"/>, −∞ in <see cref="PlateauMode.Max"/> before the first step).</summary>
    public double Best { get; private set; }

    /// <summary>The number of consecutive bad steps counted (PyTorch <c>num_bad_epochs</c>).</summary>
    public int BadSteps { get; private set; }

    /// <summary>The number of cooldown steps left (PyTorch <c>cooldown_counter</c>).</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>Records <paramref name="metric"/> and reduces the rates if it has not improved for longer than <see cref="Patience"/> steps (PyTorch's <c>step(metrics)</c>).</summary>
    /// <param name="metric">The watched quantity, such as the validation loss of the epoch just finished.</param>
    /// <returns>Whether the rates were reduced on this step.</returns>
    public bool Step(double metric)
    {
        StepCount++;
        if (IsBetter(metric))
        {
            Best = metric;
            BadSteps = 0;
        }
        else
        {
            BadSteps++;
        }

        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            BadSteps = 0; // Bad steps during a cooldown are ignored.
        }

        if (BadSteps <= Patience)
        {
            return false;
        }

        bool reduced = false;
        for (int g = 0; g < Optimizer.Groups.Count; g++)
        {
            double current = LearningRateOf(g);
            double reducedRate = Math.Max(current * Factor, MinimumLearningRate);
            if (current - reducedRate > Eps)
            {
                SetLearningRate(g, (float)reducedRate);
                reduced = true;
            }
        }

        CooldownCounter = Cooldown;
        BadSteps = 0;
        return reduced;
    }

    private bool IsBetter(double metric) => (Mode, ThresholdMode) switch
    {
        (PlateauMode.Min, PlateauThresholdMode.Relative) => metric < Best * (1.0 - Threshold),
        (PlateauMode.Min, PlateauThresholdMode.Absolute) => metric < Best - Threshold,
        (PlateauMode.Max, PlateauThresholdMode.Relative) => metric > Best * (1.0 + Threshold),
        _ => metric > Best + Threshold,
    };
}
