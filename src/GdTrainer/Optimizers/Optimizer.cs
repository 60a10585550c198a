namespace GdTrainer.Optimizers;

using GdTrainer.Autograd;

/// <summary>
/// The base of gradient-based optimizers (PyTorch's <c>torch.optim.Optimizer</c>): it holds parameter
/// groups, a default learning rate and weight decay for groups that set none, and per-parameter state
/// (kept by each optimizer, keyed by the parameter tensor, allocated on the parameter's first step and
/// reused afterwards). <see cref="ZeroGrad"/> clears the gradients before a backward pass and
/// <see cref="Step"/> updates the parameters in place from them.
/// </summary>
public abstract class Optimizer
{
    private readonly ParameterGroup[] _groups;
    private float _learningRate;

    /// <summary>Creates an optimizer over <paramref name="groups"/>.</summary>
    /// <param name="groups">The parameter groups; a tensor may appear in only one of them, once.</param>
    /// <param name="learningRate">The default learning rate of groups that set none (&gt; 0).</param>
    /// <param name="weightDecay">The default weight decay of groups that set none (&gt;= 0).</param>
    /// <exception cref="ArgumentException">There are no groups, or a tensor appears twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is not a positive finite number, or <paramref name="weightDecay"/> is negative or not finite.</exception>
    protected Optimizer(IEnumerable<ParameterGroup> groups, float learningRate, float weightDecay = 0f)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _groups = groups.ToArray();
        if (_groups.Length == 0)
        {
            throw new ArgumentException("An optimizer needs at least one parameter group (PyTorch: 'optimizer got an empty parameter list').", nameof(groups));
        }

        var seen = new HashSet<Tensor<float>>(ReferenceEqualityComparer.Instance);
        foreach (ParameterGroup group in _groups)
        {
            ArgumentNullException.ThrowIfNull(group, nameof(groups));
            foreach (Tensor<float> parameter in group.Parameters)
            {
                if (!seen.Add(parameter))
                {
                    throw new ArgumentException(
                        $"The parameter {parameter} appears more than once in the optimizer's groups; each tensor must belong to exactly one group, once.",
                        nameof(groups));
                }
            }
        }

        CheckLearningRate(learningRate);
        OptimizerChecks.NonNegative(weightDecay, nameof(weightDecay), "weight decay");
        _learningRate = learningRate; // Not through the setter: the groups keep the rates they were given.
        WeightDecay = weightDecay;
    }

    /// <summary>The parameter groups, in the order given.</summary>
    public IReadOnlyList<ParameterGroup> Groups => _groups;

    /// <summary>
    /// The optimizer's learning rate: the rate of every group whose <see cref="ParameterGroup.LearningRate"/> is
    /// <see langword="null"/>. Setting it sets <em>every</em> group's rate to the value (overwriting per-group
    /// rates and whatever a <see cref="Scheduler"/> wrote), so a loop that drives the rate itself keeps working;
    /// to keep per-group ratios, use a <see cref="Scheduler"/> instead. Reading it returns the last value set
    /// (or given to the constructor), not a group's rate: see <see cref="LearningRateOf"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value that is not a positive finite number.</exception>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            CheckLearningRate(value);
            _learningRate = value;
            for (int g = 0; g < _groups.Length; g++)
            {
                _groups[g].LearningRate = value;
            }
        }
    }

    /// <summary>The weight decay of every group whose <see cref="ParameterGroup.WeightDecay"/> is <see langword="null"/>.</summary>
    public float WeightDecay { get; }

    /// <summary>The learning rate <paramref name="group"/> steps with: its own, or else <see cref="LearningRate"/>.</summary>
    /// <param name="group">A group of this optimizer.</param>
    /// <returns>The effective learning rate (&gt;= 0).</returns>
    public float LearningRateOf(ParameterGroup group) => group.LearningRate ?? _learningRate;

    /// <summary>The weight decay <paramref name="group"/> steps with: its own, or else <see cref="WeightDecay"/>.</summary>
    /// <param name="group">A group of this optimizer.</param>
    /// <returns>The effective weight-decay coefficient (&gt;= 0).</returns>
    public float WeightDecayOf(ParameterGroup group) => group.WeightDecay ?? WeightDecay;

    /// <summary>Sets every parameter's gradient to zero, keeping its memory (PyTorch's <c>zero_grad(set_to_none=False)</c>).</summary>
    public void ZeroGrad()
    {
        // Indexed loops: foreach over an IReadOnlyList boxes an enumerator, and this runs every step.
        for (int g = 0; g < _groups.Length; g++)
        {
            IReadOnlyList<Tensor<float>> parameters = _groups[g].Parameters;
            for (int p = 0; p < parameters.Count; p++)
            {
                parameters[p].ZeroGrad();
            }
        }
    }

    /// <summary>
    /// Updates every parameter that has a gradient, in place and without recording a graph; parameters
    /// whose <see cref="Tensor{T}.Grad"/> is <see langword="null"/> are skipped (and their state does not advance),
    /// as in PyTorch. Allocates nothing once every parameter has taken its first step.
    /// </summary>
    public void Step()
    {
        using (Autograd.NoGrad())
        {
            for (int g = 0; g < _groups.Length; g++)
            {
                ParameterGroup group = _groups[g];
                float learningRate = LearningRateOf(group);
                float weightDecay = WeightDecayOf(group);
                IReadOnlyList<Tensor<float>> parameters = group.Parameters;
                for (int p = 0; p < parameters.Count; p++)
                {
                    Tensor<float> parameter = parameters[p];
                    if (parameter.Grad is { } gradient)
                    {
                        // A gradient only sparse products wrote: the rows they touched, if this optimizer can step them alone.
                        if (parameter.GradientRows is not { IsDense: false } rows
                            || !UpdateRows(parameter, gradient.Data, rows.Rows, rows.RowLength, learningRate, weightDecay))
                        {
                            parameter.PendingRows?.CatchUpAll();
                            Update(parameter, gradient.Data, learningRate, weightDecay);
                        }

                        parameter.MarkModified(); // Update wrote parameter.Data directly: bump the version as an in-place op would.
                    }
                }
            }
        }
    }

    /// <summary>
    /// Updates one parameter from its gradient; called by <see cref="Step"/> inside <see cref="Autograd.NoGrad"/>,
    /// which afterwards marks the parameter as modified. Write the new values into <c>parameter.Data</c>.
    /// </summary>
    /// <param name="parameter">The parameter to change in place; also the key of its state.</param>
    /// <param name="gradient">Its gradient, of the parameter's length (do not modify it).</param>
    /// <param name="learningRate">The group's effective learning rate.</param>
    /// <param name="weightDecay">The group's effective weight decay.</param>
    protected abstract void Update(Tensor<float> parameter, ReadOnlySpan<float> gradient, float learningRate, float weightDecay);

    /// <summary>
    /// Updates only <paramref name="rows"/> of a parameter whose gradient sparse products wrote (every other row's gradient is 0),
    /// so that a step costs the rows a batch touched, not the parameter's size; returns false when the algorithm has no such
    /// form (the step is then dense). Each optimizer documents which form it takes.
    /// </summary>
    /// <param name="parameter">The parameter, <c>[rows, rowLength]</c> or <c>[rows]</c>.</param>
    /// <param name="gradient">Its gradient (zero outside <paramref name="rows"/>).</param>
    /// <param name="rows">The rows with a gradient, each once.</param>
    /// <param name="rowLength">The elements per row.</param>
    /// <param name="learningRate">The group's effective learning rate.</param>
    /// <param name="weightDecay">The group's effective weight decay.</param>
    private protected virtual bool UpdateRows(Tensor<float> parameter, ReadOnlySpan<float> gradient, ReadOnlySpan<int> rows, int rowLength, float learningRate, float weightDecay) => false;

    /// <summary>
    /// Brings every parameter up to date with what this optimizer applies lazily to rows that sparse batches have not touched
    /// (SGD's weight decay): call before reading the parameters outside a sparse product (evaluation, saving, a copy).
    /// </summary>
    internal void CatchUp()
    {
        for (int g = 0; g < _groups.Length; g++)
        {
            IReadOnlyList<Tensor<float>> parameters = _groups[g].Parameters;
            for (int p = 0; p < parameters.Count; p++)
            {
                parameters[p].PendingRows?.CatchUpAll();
            }
        }
    }

    /// <summary>A dictionary from parameter tensors to their state, by reference (tensors define no value equality).</summary>
    /// <typeparam name="TState">The optimizer's state type.</typeparam>
    /// <returns>An empty dictionary.</returns>
    private protected static Dictionary<Tensor<float>, TState> CreateStateTable<TState>() => new(ReferenceEqualityComparer.Instance);

    private static void CheckLearningRate(float value)
    {
        if (!float.IsFinite(value) || value <= 0f)
        {
            throw new ArgumentOutOfRangeException(
                nameof(LearningRate), value, $"The learning rate must be a positive finite number, but was {OptimizerChecks.Format(value)}.");
        }
    }
}
