namespace GdTrainer.Training;

using GdTrainer.Autograd;

/// <summary>
/// One mini-batch as the loop trains on it: the rows' features, dense (<see cref="Features"/>, <c>[n, d]</c>) or sparse
/// (<see cref="SparseFeatures"/>, CSR), their labels and example weights, their total weight, and the factor the batch's
/// gradient is scaled by (its share of the total weight times the number of batches of the epoch), ready as the seed of backward.
/// </summary>
/// <param name="Features">The dense features, <c>[n, d]</c>, or null for sparse rows.</param>
/// <param name="SparseFeatures">The sparse features, or null for dense rows.</param>
/// <param name="Labels">The labels, <c>[n]</c>.</param>
/// <param name="Weights">The example weights, <c>[n]</c>, or null when every row weighs 1.</param>
/// <param name="TotalWeight">The sum of the example weights (n without weights).</param>
/// <param name="GradientScale">A scalar: <c>W_b * m / W</c> for a batch of weight <c>W_b</c> among <c>m</c> batches of total weight <c>W</c>.</param>
internal sealed record TrainingBatch(Tensor<float>? Features, SparseRows? SparseFeatures, Tensor<float> Labels, Tensor<float>? Weights, double TotalWeight, Tensor<float> GradientScale)
{
    /// <summary>The number of rows.</summary>
    internal int RowCount => Labels.Length;
}
