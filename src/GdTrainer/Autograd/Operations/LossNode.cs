using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;

namespace GdTrainer.Autograd;

/// <summary>
/// The common part of the fused loss operations: a scalar output whose gradient with respect to the
/// predictions (and, where it exists, the targets) is computed during the forward pass, already
/// divided by the weighted-mean denominator, and kept in pooled buffers. Because the output is a
/// scalar, the backward pass only scales the saved gradient by the incoming gradient and adds it into
/// the inputs. The saved gradient is a snapshot of the forward values, so the inputs are not read again.
/// </summary>
internal abstract class LossNode<T> : Node<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]? _predictionGradient;
    private readonly T[]? _targetGradient;

    protected LossNode(Tensor<T> prediction, Tensor<T> target, T[]? predictionGradient, T[]? targetGradient)
        : base(prediction, target)
    {
        _predictionGradient = predictionGradient;
        _targetGradient = targetGradient;
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        AccumulateScaled(FirstInput!, _predictionGradient, outputGradient[0]);
        if (SecondInput is not null)
        {
            AccumulateScaled(SecondInput, _targetGradient, outputGradient[0]);
        }
    }

    protected override void OnReleased()
    {
        if (_predictionGradient is not null)
        {
            ReturnScratch(_predictionGradient);
        }

        if (_targetGradient is not null)
        {
            ReturnScratch(_targetGradient);
        }
    }

    /// <summary>
    /// The number of examples (rows) and of values per example: <c>[n]</c> is n x 1, <c>[n, k]</c> is n x k,
    /// and a scalar is one example with one value.
    /// </summary>
    internal static (int Rows, int Columns) Layout(Tensor<T> tensor) => tensor.Rank switch
    {
        0 => (1, 1),
        1 => (tensor.Shape[0], 1),
        _ => (tensor.Shape[0], tensor.Shape[1]),
    };

    /// <summary>Throws unless the prediction and the target have the same shape; the message names both.</summary>
    internal static void CheckSameShape(string loss, Tensor<T> prediction, Tensor<T> target)
    {
        if (!prediction.Shape.SequenceEqual(target.Shape))
        {
            throw new ArgumentException(
                $"{loss}: the prediction has shape {Shapes.Format(prediction.Shape)} but the target has shape {Shapes.Format(target.Shape)}; they must be equal.",
                nameof(target));
        }
    }

    /// <summary>
    /// Checks example weights and returns their sum. Accepted shapes: one weight per row (<c>[n]</c> for
    /// predictions <c>[n]</c> or <c>[n, k]</c>) or, when <paramref name="allowElementWeights"/>, one per
    /// element (the target's shape). Every weight must be finite and non-negative, and their sum positive;
    /// weights are constants, so they must not require grad.
    /// </summary>
    /// <param name="loss">The loss's name for error messages.</param>
    /// <param name="weights">The example weights.</param>
    /// <param name="target">The target, whose rows the weights belong to.</param>
    /// <param name="allowElementWeights">Whether one weight per element (the target's shape) is accepted too.</param>
    /// <param name="rowWeights">True when there is one weight per row of a <c>[n, k]</c> target (weights broadcast along each row).</param>
    internal static T CheckWeights(string loss, Tensor<T> weights, Tensor<T> target, bool allowElementWeights, out bool rowWeights)
    {
        (int rows, _) = Layout(target);
        bool perElement = allowElementWeights && weights.Shape.SequenceEqual(target.Shape);
        bool perRow = weights.Rank == 1 && weights.Shape[0] == rows && target.Rank >= 1;
        if (!perElement && !perRow)
        {
            string accepted = allowElementWeights && target.Rank == 2
                ? $"[{rows}] (one per row) or the target's shape {Shapes.Format(target.Shape)}"
                : $"[{rows}] (one per example)";
            throw new ArgumentException(
                $"{loss}: the weights have shape {Shapes.Format(weights.Shape)} but the target has shape {Shapes.Format(target.Shape)}; the weights must have shape {accepted}.",
                nameof(weights));
        }

        if (weights.RequiresGrad)
        {
            throw new ArgumentException($"{loss} treats example weights as constants; pass weights that do not require grad (Detach() them).", nameof(weights));
        }

        rowWeights = !perElement && target.Rank == 2;
        ReadOnlySpan<T> values = weights.Data;
        T total = TensorPrimitives.Sum(values);

        // Fast path: a non-negative minimum (false when any weight is NaN) and a finite sum prove every weight valid.
        if (values.Length > 0 && TensorPrimitives.Min(values) >= T.Zero && T.IsFinite(total) && total > T.Zero)
        {
            return total;
        }

        for (int i = 0; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i]) || values[i] < T.Zero)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"{loss}: example weight {i} is {values[i]}; every weight must be finite and non-negative (drop the example, or give it weight 0)."),
                    nameof(weights));
            }
        }

        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"{loss}: the example weights sum to {total}; the weighted mean needs a positive (finite) sum of weights."),
            nameof(weights));
    }

    /// <summary>Rents a buffer for a saved gradient when <paramref name="input"/> needs one; null otherwise.</summary>
    internal static T[]? RentGradient(Tensor<T> input) =>
        input.RequiresGrad && Autograd.IsGradEnabled ? RentScratch(input.Length) : null;

    private static void AccumulateScaled(Tensor<T> input, T[]? saved, T scale)
    {
        if (saved is null || !input.RequiresGrad)
        {
            return;
        }

        int length = input.Length;
        if (scale == T.One)
        {
            Accumulate(input, saved.AsSpan(0, length), input.Dims);
            return;
        }

        T[] scratch = RentScratch(length);
        Span<T> scaled = scratch.AsSpan(0, length);
        TensorPrimitives.Multiply(saved.AsSpan(0, length), scale, scaled);
        Accumulate(input, scaled, input.Dims);
        ReturnScratch(scratch);
    }
}
