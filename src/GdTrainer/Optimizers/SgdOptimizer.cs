namespace GdTrainer.Optimizers;

using GdTrainer.Autograd;

/// <summary>
/// Plain stochastic gradient descent (PyTorch's <c>torch.optim.SGD</c> without momentum):
/// <c>p -= lr * (grad + weightDecay * p)</c>, computed as <c>p = (1 - lr * weightDecay) * p - lr * grad</c>
/// so that the gradient is left untouched and nothing is allocated.
/// </summary>
public sealed class SgdOptimizer : Optimizer
{
    /// <summary>Creates SGD over parameter groups (each with its own weight decay).</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="learningRate">The step size; PyTorch's default is 1e-3.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is not a positive finite number.</exception>
    public SgdOptimizer(IEnumerable<ParameterGroup> groups, float learningRate = 1e-3f)
        : base(groups, learningRate)
    {
    }

    /// <summary>Creates SGD over <paramref name="parameters"/> with one weight decay for all of them.</summary>
    /// <param name="parameters">Leaf tensors that require grad.</param>
    /// <param name="learningRate">The step size; PyTorch's default is 1e-3.</param>
    /// <param name="weightDecay">The L2 weight-decay coefficient. Default: 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate or weight decay is out of range.</exception>
    public SgdOptimizer(IEnumerable<Tensor<float>> parameters, float learningRate = 1e-3f, float weightDecay = 0f)
        : base([new ParameterGroup(parameters, weightDecay)], learningRate)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor<float> parameter, Tensor<float> gradient, ParameterGroup group)
    {
        if (group.WeightDecay != 0f)
        {
            parameter.MultiplyInPlace(1f - (LearningRate * group.WeightDecay));
        }

        parameter.SubtractInPlace(gradient, LearningRate);
    }
}
