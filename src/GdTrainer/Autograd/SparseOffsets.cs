namespace GdTrainer.Autograd;

/// <summary>
/// Values subtracted from a few columns of every sparse row, zeros included: the means of the common columns of a sparse
/// source that standardisation centres (<c>x' = x - m</c> on those columns) without storing the rows densely. A product with
/// the rows then subtracts <c>m · W</c> from every output row, and its weight gradient gets <c>-m ⊗ (sum of the output
/// gradient)</c> in those columns' rows: the cost is the number of such columns, not the rows' width.
/// </summary>
/// <param name="Columns">The centred columns, each once.</param>
/// <param name="Values">The value subtracted from each, in the rows' (standardised) units.</param>
internal sealed record SparseOffsets(int[] Columns, float[] Values);
