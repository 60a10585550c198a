namespace GdTrainer.Optimizers;

using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using GdTrainer.Autograd;

/// <summary>
/// Gradient clipping between <c>Backward()</c> and <see cref="Optimizer.Step"/> (PyTorch's
/// <c>torch.nn.utils.clip_grad_norm_</c> and <c>clip_grad_value_</c>). Parameters whose
/// <see cref="Tensor{T}.Grad"/> is <see langword="null"/> are skipped. The gradients are changed in place.
/// </summary>
public static class GradientClipping
{
    /// <summary>
    /// Rescales all gradients together so that their total norm is at most <paramref name="maxNorm"/>
    /// (PyTorch's <c>clip_grad_norm_</c>). The total norm is the p-norm of the vector of every gradient element
    /// (p = <paramref name="normType"/>; for p = ∞, the largest magnitude). The gradients are multiplied by
    /// <c>maxNorm / (total + 1e-6)</c> when that factor is below 1 and left alone otherwise.
    /// </summary>
    /// <remarks>
    /// A non-finite total norm behaves as in PyTorch unless <paramref name="errorIfNonFinite"/> is set: a NaN norm
    /// (some gradient is NaN) makes the factor NaN, which is applied, so every gradient becomes NaN; an infinite
    /// norm makes the factor 0, so every finite gradient element becomes 0 and every infinite one NaN. Either way
    /// the step that follows is visibly broken rather than silently skewed. With <paramref name="errorIfNonFinite"/>
    /// the method throws instead, before changing anything.
    /// Allocates nothing when <paramref name="parameters"/> is an array or another <see cref="IReadOnlyList{T}"/>.
    /// </remarks>
    /// <param name="parameters">The parameters whose gradients are clipped.</param>
    /// <param name="maxNorm">The largest total norm allowed (PyTorch <c>max_norm</c>); &gt;= 0.</param>
    /// <param name="normType">The order p of the norm (PyTorch <c>norm_type</c>, default 2); &gt; 0, or
    /// <see cref="float.PositiveInfinity"/> for the largest magnitude.</param>
    /// <param name="errorIfNonFinite">Whether to throw when the total norm is NaN or infinite (PyTorch <c>error_if_nonfinite</c>, default false).</param>
    /// <returns>The total norm of the gradients before clipping (0 when no parameter has a gradient).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is negative or NaN, or <paramref name="normType"/> is not &gt; 0.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="errorIfNonFinite"/> is set and the total norm is NaN or infinite.</exception>
    public static float ClipByNorm(IEnumerable<Tensor<float>> parameters, float maxNorm, float normType = 2f, bool errorIfNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"The maximum norm must be >= 0, but was {OptimizerChecks.Format(maxNorm)}.");
        }

        if (!(normType > 0f))
        {
            throw new ArgumentOutOfRangeException(
                nameof(normType), normType, $"The norm type must be > 0 (2 for the Euclidean norm, float.PositiveInfinity for the largest magnitude), but was {OptimizerChecks.Format(normType)}.");
        }

        float totalNorm = TotalNorm(parameters, normType);
        if (errorIfNonFinite && !float.IsFinite(totalNorm))
        {
            throw new InvalidOperationException(
                $"The total norm of order {OptimizerChecks.Format(normType)} of the gradients is {OptimizerChecks.Format(totalNorm)}, so they cannot be clipped. " +
                "A gradient holds NaN or infinity: lower the learning rate, check the loss and the inputs, or pass errorIfNonFinite: false to clip anyway.");
        }

        // PyTorch, in float32: clip_coef = max_norm / (total_norm + 1e-6), clamped to at most 1. A NaN factor is applied (clamp keeps NaN).
        float factor = maxNorm / (totalNorm + 1e-6f);
        if (factor < 1f || float.IsNaN(factor))
        {
            ForEachGradient(parameters, factor, static (gradient, f) => TensorPrimitives.Multiply(gradient, f, gradient));
        }

        return totalNorm;
    }

    /// <summary>
    /// Clamps every gradient element into [−<paramref name="clipValue"/>, <paramref name="clipValue"/>] (PyTorch's
    /// <c>clip_grad_value_</c>). NaN elements stay NaN. Allocates nothing when <paramref name="parameters"/> is an
    /// array or another <see cref="IReadOnlyList{T}"/>.
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are clipped.</param>
    /// <param name="clipValue">The largest magnitude allowed (PyTorch <c>clip_value</c>); &gt;= 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipValue"/> is negative or NaN.</exception>
    public static void ClipByValue(IEnumerable<Tensor<float>> parameters, float clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, $"The clip value must be >= 0, but was {OptimizerChecks.Format(clipValue)}.");
        }

        ForEachGradient(parameters, clipValue, static (gradient, c) =>
        {
            TensorPrimitives.Min(gradient, c, gradient);
            TensorPrimitives.Max(gradient, -c, gradient);
        });
    }

    private static float TotalNorm(IEnumerable<Tensor<float>> parameters, float normType)
    {
        // Per-tensor partial results combined in double, as PyTorch combines per-tensor norms.
        double total = 0.0;
        if (parameters is IReadOnlyList<Tensor<float>> list)
        {
            for (int i = 0; i < list.Count; i++)
            {
                total = Combine(total, list[i], normType);
            }
        }
        else
        {
            foreach (Tensor<float> parameter in parameters)
            {
                total = Combine(total, parameter, normType);
            }
        }

        return float.IsPositiveInfinity(normType) ? (float)total
            : normType == 2f ? (float)Math.Sqrt(total)
            : normType == 1f ? (float)total
            : (float)Math.Pow(total, 1.0 / normType);
    }

    /// <summary>Adds one gradient to the running total: the max of magnitudes for p = ∞, the sum of |g|^p otherwise.</summary>
    private static double Combine(double total, Tensor<float> parameter, float normType)
    {
        if (parameter.Grad is not { } grad || grad.Length == 0)
        {
            return total;
        }

        ReadOnlySpan<float> g = grad.Data;
        if (float.IsPositiveInfinity(normType))
        {
            float largest = MathF.Abs(TensorPrimitives.MaxMagnitude(g)); // NaN if any element is NaN.
            return float.IsNaN(largest) || double.IsNaN(total) ? double.NaN : Math.Max(total, largest);
        }

        if (normType == 2f)
        {
            double norm = TensorPrimitives.Norm(g);
            return total + (norm * norm);
        }

        if (normType == 1f)
        {
            return total + TensorPrimitives.SumOfMagnitudes(g);
        }

        double sum = 0.0;
        for (int i = 0; i < g.Length; i++)
        {
            sum += Math.Pow(Math.Abs(g[i]), normType);
        }

        return total + sum;
    }

    private static void ForEachGradient(IEnumerable<Tensor<float>> parameters, float value, Action<Span<float>, float> action)
    {
        if (parameters is IReadOnlyList<Tensor<float>> list)
        {
            for (int i = 0; i < list.Count; i++)
            {
                if (list[i].Grad is { } grad)
                {
                    action(grad.Data, value);
                }
            }

            return;
        }

        foreach (Tensor<float> parameter in parameters)
        {
            if (parameter.Grad is { } grad)
            {
                action(grad.Data, value);
            }
        }
    }
}
