namespace GdTrainer.Optimizers;

/// <summary>
/// The base of learning-rate schedulers (PyTorch's <c>torch.optim.lr_scheduler.LRScheduler</c>): an object bound
/// to an <see cref="Optimizer"/> that, each time it is stepped, writes a new learning rate into every parameter
/// group (<see cref="ParameterGroup.LearningRate"/>). The loop decides the unit of a step: call it once per epoch
/// (PyTorch's usual use of <c>StepLR</c>) or once per optimizer step (warm-up schedules), after
/// <see cref="Optimizer.Step"/>, and count the schedule's lengths in that unit.
/// </summary>
/// <remarks>
/// The group rates at construction are the schedule's initial rates (PyTorch's <c>initial_lr</c>); schedules scale
/// each group's own initial rate, so groups with different rates keep their ratio. Setting
/// <see cref="Optimizer.LearningRate"/> afterwards overwrites what the scheduler wrote until its next step.
/// </remarks>
public abstract class Scheduler
{
    private readonly float[] _initialLearningRates;

    /// <summary>Binds the scheduler to <paramref name="optimizer"/> and records each group's current rate as its initial rate.</summary>
    /// <param name="optimizer">The optimizer whose group rates the scheduler writes.</param>
    protected Scheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        _initialLearningRates = new float[optimizer.Groups.Count];
        for (int g = 0; g < _initialLearningRates.Length; g++)
        {
            _initialLearningRates[g] = optimizer.LearningRateOf(optimizer.Groups[g]);
        }
    }

    /// <summary>The optimizer whose group rates this scheduler writes.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Each group's rate when the scheduler was created (PyTorch's <c>base_lrs</c>), in group order.</summary>
    public IReadOnlyList<float> InitialLearningRates => _initialLearningRates;

    /// <summary>How many times the scheduler has been stepped (PyTorch's <c>last_epoch</c>); 0 after construction.</summary>
    public int StepCount { get; protected set; }

    /// <summary>The current rate of the first group (PyTorch's <c>get_last_lr()[0]</c>); see <see cref="LearningRateOf"/> for the others.</summary>
    public float LearningRate => LearningRateOf(0);

    /// <summary>The current rate of group <paramref name="groupIndex"/>.</summary>
    /// <param name="groupIndex">The group's index in <see cref="Optimizer.Groups"/>.</param>
    /// <returns>The rate the group steps with now.</returns>
    /// <exception cref="ArgumentOutOfRangeException">There is no such group.</exception>
    public float LearningRateOf(int groupIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(groupIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(groupIndex, Optimizer.Groups.Count);
        return Optimizer.LearningRateOf(Optimizer.Groups[groupIndex]);
    }

    /// <summary>Writes <paramref name="learningRate"/> into group <paramref name="groupIndex"/>.</summary>
    /// <param name="groupIndex">The group's index.</param>
    /// <param name="learningRate">The new rate (&gt;= 0, finite).</param>
    /// <exception cref="ArgumentOutOfRangeException">The rate is negative, NaN or infinite.</exception>
    protected void SetLearningRate(int groupIndex, float learningRate) => Optimizer.Groups[groupIndex].LearningRate = learningRate;
}
