namespace GdTrainer.Autograd;

/// <summary>
/// A batch of sparse rows in compressed sparse row form (CSR): row i holds the values
/// <c>Values[RowStarts[i] .. RowStarts[i + 1])</c> at the columns <c>Indices[...]</c>, in increasing column order; every other
/// entry is 0. A batch may be a range of rows of a larger matrix whose arrays it shares (its row starts are offsets into them).
/// </summary>
internal sealed class SparseRows
{
    private readonly int[] _rowStarts;
    private readonly int _firstRow;
    private readonly int[] _indices;
    private readonly float[] _values;

    /// <summary>The rows <c>0 .. rowCount - 1</c> of a CSR matrix (not copied).</summary>
    internal SparseRows(int columnCount, int rowCount, int[] rowStarts, int[] indices, float[] values)
        : this(columnCount, rowCount, rowStarts, 0, indices, values, null)
    {
    }

    /// <summary>
    /// The rows <paramref name="firstRow"/> .. <paramref name="firstRow"/> + <paramref name="rowCount"/> - 1 of a CSR matrix (not copied):
    /// <paramref name="rowStarts"/> are offsets into the whole matrix's <paramref name="indices"/> and <paramref name="values"/>;
    /// <paramref name="offsets"/>, when given, are subtracted from their columns in every row (see <see cref="SparseOffsets"/>).
    /// </summary>
    internal SparseRows(int columnCount, int rowCount, int[] rowStarts, int firstRow, int[] indices, float[] values, SparseOffsets? offsets)
    {
        Offsets = offsets;
        ColumnCount = columnCount;
        RowCount = rowCount;
        _rowStarts = rowStarts;
        _firstRow = firstRow;
        _indices = indices;
        _values = values;
    }

    /// <summary>Values subtracted from a few columns of every row (their zeros included), or null.</summary>
    internal SparseOffsets? Offsets { get; }

    /// <summary>The number of columns (features) of every row.</summary>
    internal int ColumnCount { get; }

    /// <summary>The number of rows.</summary>
    internal int RowCount { get; }

    /// <summary>The number of stored (non-zero) entries.</summary>
    internal int NonZeroCount => _rowStarts[_firstRow + RowCount] - _rowStarts[_firstRow];

    /// <summary>Where each row's entries start, and where the last one ends (<c>RowCount + 1</c> offsets into <see cref="Indices"/>).</summary>
    internal ReadOnlySpan<int> RowStarts => _rowStarts.AsSpan(_firstRow, RowCount + 1);

    /// <summary>The column of each stored entry (of the whole matrix; the batch's are those its row starts point to).</summary>
    internal ReadOnlySpan<int> Indices => _indices;

    /// <summary>The value of each stored entry (of the whole matrix).</summary>
    internal ReadOnlySpan<float> Values => _values;

    /// <summary>The rows <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1 of these rows, sharing their arrays (a micro-shard of a batch).</summary>
    internal SparseRows Slice(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, RowCount - start);
        return new SparseRows(ColumnCount, count, _rowStarts, _firstRow + start, _indices, _values, Offsets);
    }

    /// <summary>
    /// The columns of the batch's entries, with repeats: the rows of a weight matrix a product with the batch reads, and the only
    /// rows its gradient touches.
    /// </summary>
    internal ReadOnlySpan<int> Columns => _indices.AsSpan(_rowStarts[_firstRow], NonZeroCount);
}
