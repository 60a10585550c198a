namespace GdTrainer.Training;

using GdTrainer.Optimizers;

/// <summary>
/// Which learning-rate scheduler a trainer creates for its optimizer, and whether it is stepped after every epoch
/// (PyTorch's usual use of <c>StepLR</c>, <c>ExponentialLR</c>, <c>ReduceLROnPlateau</c>) or after every optimizer step
/// (warm-up and cosine schedules). Create one with the static methods, or with <see cref="Custom"/> for any
/// <see cref="Scheduler"/>. Immutable.
/// </summary>
/// <remarks>
/// A <see cref="ReduceOnPlateauScheduler"/> is stepped with the epoch's validation loss when there is validation data,
/// and with its training loss otherwise. Other schedulers must derive from <see cref="ClosedFormScheduler"/> (their
/// <see cref="ClosedFormScheduler.Step"/> takes no metric).
/// </remarks>
public sealed class SchedulerSettings
{
    private readonly Func<Optimizer, TrainingLength, Scheduler> _create;

    private SchedulerSettings(string name, bool stepsEveryBatch, Func<Optimizer, TrainingLength, Scheduler> create)
    {
        Name = name;
        StepsEveryBatch = stepsEveryBatch;
        _create = create;
    }

    /// <summary>The scheduler's name, for logs and messages.</summary>
    public string Name { get; }

    /// <summary>Whether the scheduler is stepped after every optimizer step (true) or after every epoch (false).</summary>
    public bool StepsEveryBatch { get; }

    /// <summary>Multiplies the rate by <paramref name="gamma"/> every <paramref name="epochs"/> epochs (<c>torch.optim.lr_scheduler.StepLR</c>).</summary>
    /// <param name="epochs">The epochs between reductions; &gt;= 1.</param>
    /// <param name="gamma">The factor; in (0, 1]. Default: 0.1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range.</exception>
    public static SchedulerSettings StepDecay(int epochs, float gamma = 0.1f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        CheckFactor(gamma, nameof(gamma));
        return new SchedulerSettings($"StepLR(every {epochs} epochs, gamma {gamma})", false, (optimizer, _) => new StepScheduler(optimizer, epochs, gamma));
    }

    /// <summary>Multiplies the rate by <paramref name="gamma"/> after every epoch (<c>torch.optim.lr_scheduler.ExponentialLR</c>).</summary>
    /// <param name="gamma">The factor; in (0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is outside (0, 1].</exception>
    public static SchedulerSettings Exponential(float gamma)
    {
        CheckFactor(gamma, nameof(gamma));
        return new SchedulerSettings($"ExponentialLR(gamma {gamma})", false, (optimizer, _) => new ExponentialScheduler(optimizer, gamma));
    }

    /// <summary>
    /// Anneals the rate along a half cosine from its initial value to <paramref name="minimumLearningRate"/> over the whole
    /// run (<c>NumberOfEpochs</c> epochs), step by step (<c>torch.optim.lr_scheduler.CosineAnnealingLR</c> with
    /// <c>T_max</c> = the number of steps of the run).
    /// </summary>
    /// <param name="minimumLearningRate">The final rate (PyTorch <c>eta_min</c>); &gt;= 0. Default: 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimumLearningRate"/> is negative or not finite.</exception>
    public static SchedulerSettings Cosine(float minimumLearningRate = 0f)
    {
        CheckNonNegative(minimumLearningRate, nameof(minimumLearningRate));
        return new SchedulerSettings("CosineAnnealingLR", true,
            (optimizer, length) => new CosineAnnealingScheduler(optimizer, Math.Max(1, length.TotalSteps), minimumLearningRate));
    }

    /// <summary>
    /// A linear warm-up over <paramref name="warmupEpochs"/> epochs, then a cosine decay to <paramref name="minimumLearningRate"/>
    /// at the end of the run, stepped after every batch.
    /// </summary>
    /// <param name="warmupEpochs">The epochs of warm-up; &gt;= 0. Default: 1.</param>
    /// <param name="minimumLearningRate">The final rate; &gt;= 0. Default: 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range.</exception>
    public static SchedulerSettings WarmupCosine(int warmupEpochs = 1, float minimumLearningRate = 0f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupEpochs);
        CheckNonNegative(minimumLearningRate, nameof(minimumLearningRate));
        return new SchedulerSettings($"WarmupCosine(warm-up {warmupEpochs} epochs)", true, (optimizer, length) =>
        {
            int total = Math.Max(1, length.TotalSteps);
            int warmup = (int)Math.Min((long)warmupEpochs * length.StepsPerEpoch, total - 1);
            return new WarmupCosineScheduler(optimizer, warmup, total, minimumLearningRate);
        });
    }

    /// <summary>
    /// Multiplies the rate by <paramref name="factor"/> when the monitored loss (validation loss when there is validation
    /// data, else the training loss) has not improved for <paramref name="patience"/> epochs
    /// (<c>torch.optim.lr_scheduler.ReduceLROnPlateau</c>, mode <c>min</c>, relative threshold).
    /// </summary>
    /// <param name="factor">The factor; in [0, 1). Default: 0.1.</param>
    /// <param name="patience">Epochs without improvement before a reduction; &gt;= 0. Default: 10.</param>
    /// <param name="threshold">The relative improvement that counts; &gt;= 0. Default: 1e-4.</param>
    /// <param name="minimumLearningRate">The floor of the rate; &gt;= 0. Default: 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range.</exception>
    public static SchedulerSettings ReduceOnPlateau(float factor = 0.1f, int patience = 10, float threshold = 1e-4f, float minimumLearningRate = 0f)
    {
        _ = new ReduceOnPlateauScheduler(ProbeOptimizer(), PlateauMode.Min, factor, patience, threshold, PlateauThresholdMode.Relative, 0, minimumLearningRate);
        return new SchedulerSettings($"ReduceLROnPlateau(factor {factor}, patience {patience})", false,
            (optimizer, _) => new ReduceOnPlateauScheduler(optimizer, PlateauMode.Min, factor, patience, threshold, PlateauThresholdMode.Relative, 0, minimumLearningRate));
    }

    /// <summary>Any scheduler, created by <paramref name="create"/> for the trainer's optimizer.</summary>
    /// <param name="name">A name for logs and messages.</param>
    /// <param name="create">Creates the scheduler for the optimizer and the run's length; it must be bound to that optimizer.</param>
    /// <param name="stepsEveryBatch">Step it after every optimizer step (true) or after every epoch (false).</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static SchedulerSettings Custom(string name, Func<Optimizer, TrainingLength, Scheduler> create, bool stepsEveryBatch = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        return new SchedulerSettings(name, stepsEveryBatch, create);
    }

    /// <summary>Creates the scheduler for <paramref name="optimizer"/>.</summary>
    /// <exception cref="InvalidOperationException">A custom factory returned null, a scheduler bound to another optimizer, or a scheduler the loop cannot step.</exception>
    internal Scheduler Create(Optimizer optimizer, TrainingLength length)
    {
        Scheduler scheduler = _create(optimizer, length) ?? throw new InvalidOperationException($"The scheduler factory '{Name}' returned null.");
        if (!ReferenceEquals(scheduler.Optimizer, optimizer))
        {
            throw new InvalidOperationException($"The scheduler factory '{Name}' returned a scheduler bound to another optimizer; bind it to the optimizer it is given.");
        }

        if (scheduler is not (ClosedFormScheduler or ReduceOnPlateauScheduler))
        {
            throw new InvalidOperationException(
                $"The scheduler '{Name}' ({scheduler.GetType().FullName}) cannot be stepped by the trainer: derive it from ClosedFormScheduler, or use ReduceOnPlateauScheduler.");
        }

        return scheduler;
    }

    /// <summary>The scheduler's name.</summary>
    public override string ToString() => Name;

    private static Optimizer ProbeOptimizer() => new SgdOptimizer([GdTrainer.Autograd.Tensor.Zeros([1], requiresGrad: true)], 1f);

    private static void CheckFactor(float value, string name)
    {
        if (!(value > 0f && value <= 1f))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in (0, 1], but was {value}.");
        }
    }

    private static void CheckNonNegative(float value, string name)
    {
        if (!(value >= 0f) || !float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number >= 0, but was {value}.");
        }
    }
}
