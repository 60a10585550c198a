namespace GdTrainer.Training;

using GdTrainer.Optimizers;

/// <summary>
/// Which optimizer a trainer creates for the model's parameters, with its settings (the learning rate stays a separate,
/// top-level option). Create one with <see cref="Sgd"/>, <see cref="Adam"/>, <see cref="AdamW"/>, <see cref="RmsProp"/>,
/// <see cref="Adagrad"/> (PyTorch's <c>torch.optim</c> algorithms and defaults), or <see cref="Custom"/> for any
/// <see cref="Optimizer"/>. Immutable.
/// </summary>
/// <remarks>
/// A trainer needs a recipe rather than an optimizer object, because an optimizer is bound to parameters that exist
/// only once <c>Fit</c> has created the model. The trainer puts the weights in one parameter group and the biases in
/// another whose weight decay is 0 (<see cref="ParameterGroup.WeightsAndBiases"/>).
/// </remarks>
public sealed class OptimizerSettings
{
    private readonly Func<IReadOnlyList<ParameterGroup>, float, Optimizer> _create;

    private OptimizerSettings(string name, float defaultLearningRate, Func<IReadOnlyList<ParameterGroup>, float, Optimizer> create)
    {
        Name = name;
        DefaultLearningRate = defaultLearningRate;
        _create = create;
    }

    /// <summary>The algorithm's name, for logs and messages (e.g. <c>"Adam"</c>).</summary>
    public string Name { get; }

    /// <summary>
    /// The learning rate used when the trainer's <c>LearningRate</c> option is null and the rate is not derived from the data:
    /// 1e-3 for Adam and AdamW, 1e-2 for SGD, RMSprop and Adagrad (PyTorch's defaults, SGD's as commonly used for small MLPs).
    /// </summary>
    public float DefaultLearningRate { get; }

    /// <summary>Whether this is plain SGD without momentum, the only optimizer for which a linear model's rate is derived from the data.</summary>
    internal bool IsPlainSgd { get; private init; }

    /// <summary>
    /// Stochastic gradient descent (<c>torch.optim.SGD</c>), optionally with momentum.
    /// </summary>
    /// <param name="momentum">The momentum factor (PyTorch <c>momentum</c>); &gt;= 0. Default: 0.</param>
    /// <param name="dampening">The dampening of the momentum (PyTorch <c>dampening</c>); in [0, 1]. Default: 0.</param>
    /// <param name="nesterov">Nesterov momentum (PyTorch <c>nesterov</c>); needs momentum &gt; 0 and dampening 0. Default: false.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range.</exception>
    /// <exception cref="ArgumentException">Nesterov momentum without momentum or with dampening.</exception>
    public static OptimizerSettings Sgd(float momentum = 0f, float dampening = 0f, bool nesterov = false)
    {
        _ = new SgdOptimizer(Probe(), 1f, 0f, momentum, dampening, nesterov); // Validates now, not at Fit.
        return new OptimizerSettings(nesterov ? "SGD (Nesterov)" : momentum > 0 ? "SGD (momentum)" : "SGD", 1e-2f,
            (groups, rate) => new SgdOptimizer(groups, rate, 0f, momentum, dampening, nesterov))
        {
            IsPlainSgd = momentum == 0f,
        };
    }

    /// <summary>Adam (<c>torch.optim.Adam</c>).</summary>
    /// <param name="beta1">The decay of the first moment; in [0, 1). Default: 0.9.</param>
    /// <param name="beta2">The decay of the second moment; in [0, 1). Default: 0.999.</param>
    /// <param name="epsilon">Added to the denominator; &gt; 0. Default: 1e-8.</param>
    /// <param name="amsgrad">Use the AMSGrad variant. Default: false.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range.</exception>
    public static OptimizerSettings Adam(float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, bool amsgrad = false)
    {
        _ = new AdamOptimizer(Probe(), 1f, beta1, beta2, epsilon, 0f, amsgrad);
        return new OptimizerSettings("Adam", 1e-3f, (groups, rate) => new AdamOptimizer(groups, rate, beta1, beta2, epsilon, 0f, amsgrad));
    }

    /// <summary>
    /// AdamW (<c>torch.optim.AdamW</c>): Adam with decoupled weight decay of the weights (never the biases). The trainer's
    /// <c>L2Regularization</c>, when positive, replaces <paramref name="weightDecay"/>.
    /// </summary>
    /// <param name="weightDecay">The decoupled weight decay; &gt;= 0. Default: 1e-2.</param>
    /// <param name="beta1">The decay of the first moment; in [0, 1). Default: 0.9.</param>
    /// <param name="beta2">The decay of the second moment; in [0, 1). Default: 0.999.</param>
    /// <param name="epsilon">Added to the denominator; &gt; 0. Default: 1e-8.</param>
    /// <param name="amsgrad">Use the AMSGrad variant. Default: false.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range.</exception>
    public static OptimizerSettings AdamW(float weightDecay = 1e-2f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, bool amsgrad = false)
    {
        _ = new AdamWOptimizer(Probe(), 1f, beta1, beta2, epsilon, weightDecay, amsgrad);
        return new OptimizerSettings("AdamW", 1e-3f, (groups, rate) => new AdamWOptimizer(groups, rate, beta1, beta2, epsilon, weightDecay, amsgrad));
    }

    /// <summary>RMSprop (<c>torch.optim.RMSprop</c>).</summary>
    /// <param name="alpha">The smoothing constant; in [0, 1). Default: 0.99.</param>
    /// <param name="epsilon">Added to the denominator; &gt; 0. Default: 1e-8.</param>
    /// <param name="momentum">The momentum factor; &gt;= 0. Default: 0.</param>
    /// <param name="centered">Normalise by the estimated variance of the gradient. Default: false.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range.</exception>
    public static OptimizerSettings RmsProp(float alpha = 0.99f, float epsilon = 1e-8f, float momentum = 0f, bool centered = false)
    {
        _ = new RmsPropOptimizer(Probe(), 1f, alpha, epsilon, 0f, momentum, centered);
        return new OptimizerSettings("RMSprop", 1e-2f, (groups, rate) => new RmsPropOptimizer(groups, rate, alpha, epsilon, 0f, momentum, centered));
    }

    /// <summary>Adagrad (<c>torch.optim.Adagrad</c>).</summary>
    /// <param name="learningRateDecay">The learning-rate decay per step; &gt;= 0. Default: 0.</param>
    /// <param name="initialAccumulatorValue">The starting value of the sum of squared gradients; &gt;= 0. Default: 0.</param>
    /// <param name="epsilon">Added to the denominator; &gt; 0. Default: 1e-10.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range.</exception>
    public static OptimizerSettings Adagrad(float learningRateDecay = 0f, float initialAccumulatorValue = 0f, float epsilon = 1e-10f)
    {
        _ = new AdagradOptimizer(Probe(), 1f, learningRateDecay, 0f, initialAccumulatorValue, epsilon);
        return new OptimizerSettings("Adagrad", 1e-2f, (groups, rate) => new AdagradOptimizer(groups, rate, learningRateDecay, 0f, initialAccumulatorValue, epsilon));
    }

    /// <summary>Any optimizer, created by <paramref name="create"/> from the parameter groups and the learning rate.</summary>
    /// <param name="name">A name for logs and messages.</param>
    /// <param name="create">Creates the optimizer; it must use the groups it is given.</param>
    /// <param name="defaultLearningRate">The rate used when the trainer's <c>LearningRate</c> is null; &gt; 0. Default: 1e-3.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="defaultLearningRate"/> is not positive and finite.</exception>
    public static OptimizerSettings Custom(string name, Func<IReadOnlyList<ParameterGroup>, float, Optimizer> create, float defaultLearningRate = 1e-3f)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        if (!float.IsFinite(defaultLearningRate) || defaultLearningRate <= 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(defaultLearningRate), defaultLearningRate, "The default learning rate must be positive and finite.");
        }

        return new OptimizerSettings(name, defaultLearningRate, create);
    }

    /// <summary>Creates the optimizer over <paramref name="groups"/> with <paramref name="learningRate"/>.</summary>
    /// <exception cref="InvalidOperationException">A custom factory returned null.</exception>
    internal Optimizer Create(IReadOnlyList<ParameterGroup> groups, float learningRate) =>
        _create(groups, learningRate) ?? throw new InvalidOperationException($"The optimizer factory '{Name}' returned null; it must return an optimizer over the parameter groups it is given.");

    /// <summary>A one-parameter group, so that the settings are validated by the optimizer's own checks when they are given, not at <c>Fit</c>.</summary>
    private static IReadOnlyList<ParameterGroup> Probe() => [new ParameterGroup([GdTrainer.Autograd.Tensor.Zeros([1], requiresGrad: true)])];

    /// <summary>The algorithm's name.</summary>
    public override string ToString() => Name;
}
