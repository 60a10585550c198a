namespace GdTrainer.Optimizers;

using GdTrainer.Autograd;

/// <summary>
/// The base of gradient-based optimizers (PyTorch's <c>torch.optim.Optimizer</c>): it holds parameter
/// groups and a learning rate; <see cref="ZeroGrad"/> clears the gradients before a backward pass and
/// <see cref="Step"/> updates the parameters in place from them.
/// </summary>
public abstract class Optimizer
{
    private float _learningRate;

    /// <summary>Creates an optimizer over <paramref name="groups"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is not a positive finite number.</exception>
    protected Optimizer(IEnumerable<ParameterGroup> groups, float learningRate)
    {
        ArgumentNullException.ThrowIfNull(groups);
        Groups = groups.ToArray();
        LearningRate = learningRate;
    }

    /// <summary>The parameter groups, in the order given.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>The step size; may be changed between steps (a learning-rate schedule).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value that is not a positive finite number.</exception>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!float.IsFinite(value) || value <= 0f)
            {
                throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "The learning rate must be a positive finite number.");
            }

            _learningRate = value;
        }
    }

    /// <summary>Sets every parameter's gradient to zero, keeping its memory.</summary>
    public void ZeroGrad()
    {
        // Indexed loops: foreach over an IReadOnlyList boxes an enumerator, and this runs every step.
        for (int g = 0; g < Groups.Count; g++)
        {
            IReadOnlyList<Tensor<float>> parameters = Groups[g].Parameters;
            for (int p = 0; p < parameters.Count; p++)
            {
                parameters[p].ZeroGrad();
            }
        }
    }

    /// <summary>Updates every parameter that has a gradient, in place and without recording a graph.</summary>
    public void Step()
    {
        using (Autograd.NoGrad())
        {
            for (int g = 0; g < Groups.Count; g++)
            {
                ParameterGroup group = Groups[g];
                for (int p = 0; p < group.Parameters.Count; p++)
                {
                    Tensor<float> parameter = group.Parameters[p];
                    if (parameter.Grad is { } gradient)
                    {
                        Update(parameter, gradient, group);
                    }
                }
            }
        }
    }

    /// <summary>Updates one parameter from its gradient; called by <see cref="Step"/> inside <see cref="Autograd.NoGrad"/>.</summary>
    /// <param name="parameter">The parameter to change in place.</param>
    /// <param name="gradient">Its gradient (do not modify it).</param>
    /// <param name="group">The group it belongs to, for per-group settings.</param>
    protected abstract void Update(Tensor<float> parameter, Tensor<float> gradient, ParameterGroup group);
}
