using System.Numerics;
using System.Numerics.Tensors;

namespace GdTrainer.Autograd;

/// <summary>
/// The (optionally weighted) mean squared error as one operation (PyTorch's <c>F.mse_loss</c>):
/// <c>sum(w_i (p_i - t_i)^2) / sum(w_i)</c>, with <c>w_i = 1</c> when no weights are given. The weights have
/// the target's shape, or for a <c>[n, k]</c> target one per row (<c>[n]</c>), broadcast along the row (the
/// denominator is then <c>k sum(w)</c>); they must be finite and non-negative with a positive sum. The residual
/// <c>p - t</c> is kept in a pooled buffer for the backward, <c>dp = 2 w (p - t) / sum(w)</c>,
/// <c>dt = -dp</c>; the weights are constants.
/// </summary>
internal sealed class MseLossNode<T> : Node<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _residual;
    private readonly T _scale;

    private readonly int _rowLength;

    private MseLossNode(Tensor<T> prediction, Tensor<T> target, Tensor<T>? weights, T[] residual, T scale, int rowLength)
        : base(prediction, target, weights)
    {
        _residual = residual;
        _scale = scale;
        _rowLength = rowLength;
    }

    internal override string Name => "MseLoss";

    internal static Tensor<T> Forward(Tensor<T> prediction, Tensor<T> target, Tensor<T>? weights)
    {
        if (!prediction.Shape.SequenceEqual(target.Shape))
        {
            throw new ArgumentException(
                $"MseLoss: the prediction has shape {Shapes.Format(prediction.Shape)} but the target has shape {Shapes.Format(target.Shape)}; they must be equal.",
                nameof(target));
        }

        bool rowWeights = false;
        T weightTotal = T.Zero;
        if (weights is not null)
        {
            // One weight per element (the target's shape) or, for [n, k], one per row broadcast along it.
            weightTotal = LossNode<T>.CheckWeights("MseLoss", weights, target, allowElementWeights: true, out rowWeights);
        }

        int n = prediction.Length;
        T[] residual = Node<T>.RentScratch(n);
        Span<T> r = residual.AsSpan(0, n);
        TensorPrimitives.Subtract(prediction.Data, target.Data, r);
        int columns = target.Rank == 2 ? target.Shape[1] : 1;
        T total = weights is null ? T.CreateTruncating(n) : rowWeights ? weightTotal * T.CreateTruncating(columns) : weightTotal;
        T squared = weights is null ? TensorPrimitives.Dot<T>(r, r)
            : rowWeights ? RowWeightedSquares(r, weights.Data, columns)
            : WeightedSquares(r, weights.Data);
        T loss = squared / total;

        Node<T>? node = null;
        if (ShouldRecord(prediction, target))
        {
            node = new MseLossNode<T>(prediction, target, weights, residual, T.CreateTruncating(2) / total, rowWeights ? columns : 0);
        }
        else
        {
            Node<T>.ReturnScratch(residual);
        }

        return new Tensor<T>(TensorMemory<T>.Scalar(loss), Shapes.Scalar, node);
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        int n = FirstInput!.Length;
        T[] scratch = RentScratch(n);
        Span<T> gradient = scratch.AsSpan(0, n);
        TensorPrimitives.Multiply(_residual.AsSpan(0, n), outputGradient[0] * _scale, gradient);
        if (ThirdInput is not null && _rowLength > 0)
        {
            ReadOnlySpan<T> weights = SavedThird.Data;
            for (int i = 0; i < weights.Length; i++)
            {
                Span<T> row = gradient.Slice(i * _rowLength, _rowLength);
                TensorPrimitives.Multiply(row, weights[i], row);
            }
        }
        else if (ThirdInput is not null)
        {
            TensorPrimitives.Multiply(gradient, SavedThird.Data, gradient);
        }

        Accumulate(FirstInput, gradient, FirstInput.Dims);
        if (SecondInput!.RequiresGrad)
        {
            TensorPrimitives.Negate(gradient, gradient);
            Accumulate(SecondInput, gradient, SecondInput.Dims);
        }

        ReturnScratch(scratch);
    }

    protected override void OnReleased() => ReturnScratch(_residual);

    private static T RowWeightedSquares(ReadOnlySpan<T> residual, ReadOnlySpan<T> weights, int columns)
    {
        T sum = T.Zero;
        for (int i = 0; i < weights.Length; i++)
        {
            ReadOnlySpan<T> row = residual.Slice(i * columns, columns);
            sum += weights[i] * TensorPrimitives.Dot(row, row);
        }

        return sum;
    }

    private static T WeightedSquares(ReadOnlySpan<T> residual, ReadOnlySpan<T> weights)
    {
        T sum = T.Zero;
        for (int i = 0; i < residual.Length; i++)
        {
            sum += weights[i] * residual[i] * residual[i];
        }

        return sum;
    }
}
