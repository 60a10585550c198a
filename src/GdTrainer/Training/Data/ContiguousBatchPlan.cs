namespace GdTrainer.Training;

using GdTrainer.Autograd;

/// <summary>
/// The batches of a source held in memory: contiguous ranges of its rows, cut once per batch size (each batch a view of the
/// store, its labels and example weights, its total weight and the gradient scale that makes a batch's mean an unbiased step),
/// visited in a shuffled order. The source gives the features of a range: a dense view or sparse rows.
/// </summary>
internal sealed class ContiguousBatchPlan : BatchPlan
{
    private readonly TrainingBatch[] _batches;
    private readonly int[] _order;

    /// <param name="first">The store's index of the source's first row.</param>
    /// <param name="rowCount">The source's rows.</param>
    /// <param name="batchSize">The rows per batch (the last may hold fewer).</param>
    /// <param name="labels">The store's labels.</param>
    /// <param name="weights">The store's example weights, or null when every row weighs 1.</param>
    /// <param name="sourceWeight">The total weight of the source's rows.</param>
    /// <param name="features">The features of <c>size</c> rows from the store's row <c>start</c>: a dense view, or sparse rows.</param>
    internal ContiguousBatchPlan(
        int first, int rowCount, int batchSize, float[] labels, float[]? weights, double sourceWeight,
        Func<int, int, (Tensor<float>? Dense, SparseRows? Sparse)> features)
    {
        int count = (rowCount + batchSize - 1) / batchSize;
        _batches = new TrainingBatch[count];
        _order = new int[count];
        BatchSize = batchSize;
        for (int b = 0; b < count; b++)
        {
            int start = first + (b * batchSize);
            int size = Math.Min(batchSize, rowCount - (b * batchSize));
            Tensor<float>? batchWeights = weights is null ? null : Tensor.Wrap(weights, start, [size]);
            double totalWeight = weights is null ? size : SumOf(weights.AsSpan(start, size));
            var gradientScale = Tensor.Scalar((float)(totalWeight * count / sourceWeight));
            (Tensor<float>? dense, SparseRows? sparse) = features(start, size);
            _batches[b] = new TrainingBatch(dense, sparse, Tensor.Wrap(labels, start, [size]), batchWeights, totalWeight, gradientScale);
            _order[b] = b;
        }
    }

    internal override int BatchSize { get; }

    internal override int Count => _batches.Length;

    /// <summary>The sum of <paramref name="weights"/> in double, in order.</summary>
    internal static double SumOf(ReadOnlySpan<float> weights)
    {
        double sum = 0;
        foreach (float weight in weights)
        {
            sum += weight;
        }

        return sum;
    }

    internal override void ShuffleOrder(FastRandom random) => random.Shuffle(_order.AsSpan());

    internal override TrainingBatch this[int step] => _batches[_order[step]];
}
