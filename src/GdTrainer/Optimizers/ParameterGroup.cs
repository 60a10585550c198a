namespace GdTrainer.Optimizers;

using GdTrainer.Autograd;
using GdTrainer.Models;

/// <summary>
/// Parameters that share optimizer settings (PyTorch's parameter groups, the dictionaries of
/// <c>optimizer.param_groups</c>), such as weights that get weight decay and biases that do not.
/// A setting left <see langword="null"/> is taken from the optimizer (PyTorch fills a group's missing
/// keys from the optimizer's defaults).
/// </summary>
public sealed class ParameterGroup
{
    private float? _learningRate;

    /// <summary>Creates a group.</summary>
    /// <param name="parameters">Leaf tensors that require grad.</param>
    /// <param name="weightDecay">This group's weight-decay coefficient (PyTorch <c>weight_decay</c>); how it is applied
    /// depends on the optimizer (L2 added to the gradient, or decoupled for <see cref="AdamWOptimizer"/>).
    /// Default: <see langword="null"/>, the optimizer's own weight decay.</param>
    /// <param name="learningRate">This group's learning rate (PyTorch <c>lr</c>). Default: <see langword="null"/>, the
    /// optimizer's <see cref="Optimizer.LearningRate"/>.</param>
    /// <exception cref="ArgumentException">A tensor is not a leaf that requires grad.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weightDecay"/> or <paramref name="learningRate"/> is negative, NaN or infinite.</exception>
    public ParameterGroup(IEnumerable<Tensor<float>> parameters, float? weightDecay = null, float? learningRate = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (weightDecay is { } decay)
        {
            OptimizerChecks.NonNegative(decay, nameof(weightDecay), "weight decay");
        }

        if (learningRate is { } rate)
        {
            OptimizerChecks.NonNegative(rate, nameof(learningRate), "learning rate of a parameter group");
        }

        Parameters = parameters.ToArray();
        foreach (Tensor<float> parameter in Parameters)
        {
            if (parameter is null || !parameter.IsLeaf || !parameter.RequiresGrad)
            {
                throw new ArgumentException(
                    $"An optimizer can only update leaf tensors that require grad, but got {parameter?.ToString() ?? "null"}. " +
                    "Pass the module's parameters (Tensor.From(..., requiresGrad: true)), not results computed from them.",
                    nameof(parameters));
            }
        }

        WeightDecay = weightDecay;
        LearningRate = learningRate;
    }

    /// <summary>The tensors of this group.</summary>
    public IReadOnlyList<Tensor<float>> Parameters { get; }

    /// <summary>This group's weight-decay coefficient, or <see langword="null"/> to use the optimizer's (<see cref="Optimizer.WeightDecay"/>).</summary>
    public float? WeightDecay { get; }

    /// <summary>
    /// This group's learning rate, or <see langword="null"/> to use the optimizer's
    /// (<see cref="Optimizer.LearningRate"/>). Schedulers write it on every step; setting
    /// <see cref="Optimizer.LearningRate"/> overwrites it. Zero is allowed (a schedule may anneal to 0).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative, NaN or infinite value.</exception>
    public float? LearningRate
    {
        get => _learningRate;
        set
        {
            if (value is { } rate)
            {
                OptimizerChecks.NonNegative(rate, nameof(LearningRate), "learning rate of a parameter group");
            }

            _learningRate = value;
        }
    }

    /// <summary>
    /// Splits a module's parameters into the two groups that are the usual practice for weight decay:
    /// the weights (<see cref="ParameterKind.Weight"/>) decayed by <paramref name="weightDecay"/>, and the
    /// biases (<see cref="ParameterKind.Bias"/>) not decayed at all (their weight decay is an explicit 0, not the optimizer's).
    /// </summary>
    /// <param name="parameters">A module's parameters, such as <see cref="Module.Parameters"/>.</param>
    /// <param name="weightDecay">The weight-decay coefficient of the weights (&gt;= 0).</param>
    /// <returns>Two groups, always in this order: [0] the weights, [1] the biases (either may be empty).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weightDecay"/> is negative, NaN or infinite.</exception>
    public static IReadOnlyList<ParameterGroup> WeightsAndBiases(IEnumerable<ModuleParameter> parameters, float weightDecay)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        OptimizerChecks.NonNegative(weightDecay, nameof(weightDecay), "weight decay");
        var weights = new List<Tensor<float>>();
        var biases = new List<Tensor<float>>();
        foreach (ModuleParameter parameter in parameters)
        {
            (parameter.Kind == ParameterKind.Bias ? biases : weights).Add(parameter.Value);
        }

        return [new ParameterGroup(weights, weightDecay), new ParameterGroup(biases, 0f)];
    }
}
