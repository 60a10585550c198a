namespace GdTrainer.Models;

/// <summary>What a trainable parameter of a <see cref="Module"/> is, so that a trainer can treat kinds differently (L2 weight decay applies to weights, not to biases).</summary>
public enum ParameterKind
{
    /// <summary>A multiplicative weight (a matrix or vector that features or activations are multiplied by).</summary>
    Weight,

    /// <summary>An additive bias (an intercept); regularisation usually leaves it alone.</summary>
    Bias,
}
