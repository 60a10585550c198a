using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace GdTrainer.Autograd;

/// <summary>
/// <c>x @ weight + bias</c> for a batch of sparse rows <c>x</c> (<see cref="SparseRows"/>): each output row is the bias plus
/// the weight rows of the row's columns, scaled by their values (PyTorch's <c>EmbeddingBag(mode='sum')</c> with
/// per-sample weights, or <c>torch.sparse.mm</c> followed by the bias). The weight is <c>[d]</c> (one output per row, the
/// output <c>[n]</c>) or <c>[d, k]</c> (the output <c>[n, k]</c>). Work and memory follow the non-zeros, never d.
/// Backward: the weight's gradient gets <c>value * outputGradient[i]</c> in the rows of the columns present, which it
/// records (<see cref="Tensor{T}.SparseGradientTarget"/>) so that zeroing and the optimizer's step touch only those rows;
/// the bias gets the column sums of the output gradient. No gradient flows to <c>x</c>.
/// </summary>
/// <remarks>The node keeps <c>x</c> itself: a source that reuses one batch buffer must not draw the next batch before backward.</remarks>
internal sealed class SparseLinearNode(SparseRows input, Tensor<float> weight, Tensor<float>? bias) : Node<float>(weight, bias)
{
    internal override string Name => "SparseLinear";

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // See FirstFit in docs/benchmarks.md.
    internal static Tensor<float> Forward(SparseRows input, Tensor<float> weight, Tensor<float>? bias)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        int k = weight.Rank == 1 ? 1 : weight.Shape[1];
        if (weight.Rank is not (1 or 2) || weight.Shape[0] != input.ColumnCount)
        {
            throw new ArgumentException(
                $"SparseLinear: the weight of shape {Shapes.Format(weight.Shape)} does not fit sparse rows of {input.ColumnCount} columns; it must be [{input.ColumnCount}] or [{input.ColumnCount}, k].",
                nameof(weight));
        }

        if (bias is not null && bias.Length != k && bias.Length != 1)
        {
            throw new ArgumentException($"SparseLinear: the bias of shape {Shapes.Format(bias.Shape)} must hold {k} values (or 1).", nameof(bias));
        }

        // SGD's lazily owed decay (LazyDecay): the weight's values are its stored values times this.
        float scale = (float)(weight.PendingRows?.Scale ?? 1.0);
        int n = input.RowCount;
        float[] data = TensorMemory<float>.Allocate(n * k);
        Span<float> output = data.AsSpan(0, n * k);
        ReadOnlySpan<float> w = weight.Data;
        ReadOnlySpan<float> b = bias is null ? default : bias.Data;
        float[]? adjustedBias = null;
        if (input.Offsets is { } offsets)
        {
            // Centred columns subtract m . W from every row, the same for all: folded into the bias for this product.
            adjustedBias = RentScratch(k);
            Span<float> adjusted = adjustedBias.AsSpan(0, k);
            if (b.IsEmpty)
            {
                adjusted.Clear();
            }
            else if (b.Length == k)
            {
                b.CopyTo(adjusted);
            }
            else
            {
                adjusted.Fill(b[0]);
            }

            for (int c = 0; c < offsets.Columns.Length; c++)
            {
                AddScaled(w.Slice(offsets.Columns[c] * k, k), -offsets.Values[c] * scale, adjusted);
            }

            b = adjusted;
        }

        for (int i = 0; i < n; i++)
        {
            input.Row(i, out ReadOnlySpan<int> indices, out ReadOnlySpan<float> values);
            if (k == 1)
            {
                float sum = 0f;
                for (int p = 0; p < indices.Length; p++)
                {
                    sum += values[p] * w[indices[p]];
                }

                output[i] = (b.IsEmpty ? 0f : b[0]) + (sum * scale);
                continue;
            }

            Span<float> row = output.Slice(i * k, k);
            if (b.Length == k)
            {
                b.CopyTo(row);
            }
            else
            {
                row.Fill(b.IsEmpty ? 0f : b[0]);
            }

            for (int p = 0; p < indices.Length; p++)
            {
                AddScaled(w.Slice(indices[p] * k, k), values[p] * scale, row);
            }
        }

        if (adjustedBias is not null)
        {
            ReturnScratch(adjustedBias);
        }

        int[] shape = weight.Rank == 1 ? [n] : [n, k];
        return new Tensor<float>(data, shape, ShouldRecord(weight, bias) ? new SparseLinearNode(input, weight, bias) : null);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // See FirstFit in docs/benchmarks.md.
    internal override void Backward(ReadOnlySpan<float> outputGradient)
    {
        Tensor<float> weight = FirstInput!;
        Tensor<float>? bias = SecondInput;
        int n = input.RowCount;
        int k = weight.Rank == 1 ? 1 : weight.Shape[1];
        if (weight.RequiresGrad)
        {
            // Each row's columns are recorded as touched (in row order, as a single pass over the batch would) before it is added.
            Span<float> gradient = weight.SparseGradientTarget(ReadOnlySpan<int>.Empty, k);
            for (int i = 0; i < n; i++)
            {
                    input.Row(i, out ReadOnlySpan<int> indices, out ReadOnlySpan<float> values);
                gradient = weight.SparseGradientTarget(indices, k);
                if (k == 1)
                {
                    float g = outputGradient[i];
                    for (int p = 0; p < indices.Length; p++)
                    {
                        gradient[indices[p]] += values[p] * g;
                    }

                    continue;
                }

                ReadOnlySpan<float> rowGradient = outputGradient.Slice(i * k, k);
                for (int p = 0; p < indices.Length; p++)
                {
                    Span<float> target = gradient.Slice(indices[p] * k, k);
                    AddScaled(rowGradient, values[p], target);
                }
            }

            if (input.Offsets is { } offsets)
            {
                // Every row subtracted m from the centred columns: their rows get -m_c times the output gradient's column sums.
                weight.SparseGradientTarget(offsets.Columns, k);
                float[] sumsBuffer = RentScratch(k);
                Span<float> sums = sumsBuffer.AsSpan(0, k);
                sums.Clear();
                for (int i = 0; i < n; i++)
                {
                    TensorPrimitives.Add(sums, outputGradient.Slice(i * k, k), sums);
                }

                for (int c = 0; c < offsets.Columns.Length; c++)
                {
                    Span<float> target = gradient.Slice(offsets.Columns[c] * k, k);
                    AddScaled(sums, -offsets.Values[c], target);
                }

                ReturnScratch(sumsBuffer);
            }
        }

        if (bias is not null)
        {
            LinearNode<float>.AccumulateBias(bias, outputGradient, OutputDims);
        }
    }

    /// <summary>
    /// <c>destination += scale * source</c> for one weight row. A row of a few outputs (a multiclass linear model's k classes)
    /// is a plain loop: the call into TensorPrimitives cost more than the arithmetic, once per non-zero (topics, k = 6: 65 ms
    /// an epoch of 3,000 rows, most of it in the calls); a wide row (an MLP's first layer) is vectorised there.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(ReadOnlySpan<float> source, float scale, Span<float> destination)
    {
        if (destination.Length >= 16)
        {
            TensorPrimitives.MultiplyAdd(source, scale, destination, destination);
            return;
        }

        for (int o = 0; o < destination.Length; o++)
        {
            destination[o] += scale * source[o];
        }
    }
}
