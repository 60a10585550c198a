namespace GdTrainer.Optimizers;

using GdTrainer.Autograd;

/// <summary>
/// Parameters that share optimizer settings (PyTorch's parameter groups), such as weights that get
/// L2 weight decay and biases that do not.
/// </summary>
public sealed class ParameterGroup
{
    /// <summary>Creates a group.</summary>
    /// <param name="parameters">Leaf tensors that require grad.</param>
    /// <param name="weightDecay">The L2 weight-decay coefficient for this group: each step adds <c>weightDecay * p</c> to the gradient. Default: 0.</param>
    /// <exception cref="ArgumentException">A tensor is not a leaf that requires grad.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weightDecay"/> is negative, NaN or infinite.</exception>
    public ParameterGroup(IEnumerable<Tensor<float>> parameters, float weightDecay = 0f)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!float.IsFinite(weightDecay) || weightDecay < 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "The weight decay must be a finite number >= 0.");
        }

        Parameters = parameters.ToArray();
        foreach (Tensor<float> parameter in Parameters)
        {
            if (!parameter.IsLeaf || !parameter.RequiresGrad)
            {
                throw new ArgumentException($"An optimizer can only update leaf tensors that require grad, but got {parameter}.", nameof(parameters));
            }
        }

        WeightDecay = weightDecay;
    }

    /// <summary>The tensors of this group.</summary>
    public IReadOnlyList<Tensor<float>> Parameters { get; }

    /// <summary>The L2 weight-decay coefficient of this group.</summary>
    public float WeightDecay { get; }
}
