namespace GdTrainer.Autograd;

/// <summary>
/// A batch of sparse rows in compressed sparse row form (CSR): row i holds the values
/// <c>Values[RowStarts[i] .. RowStarts[i + 1])</c> at the columns <c>Indices[...]</c>, in increasing column order;
/// every other entry is 0. <see cref="DistinctColumns"/> lists each column that appears in any row once: the rows of a
/// weight matrix a product with this batch reads, and the only rows its gradient touches. The arrays may be longer than
/// what is used; a source that gathers batches reuses one instance, so a batch is valid until the next is drawn.
/// </summary>
internal sealed class SparseRows
{
    private int[] _rowStarts;
    private int[] _indices;
    private float[] _values;
    private int[] _distinctColumns;

    /// <summary>Creates an empty batch of <paramref name="columnCount"/> columns.</summary>
    internal SparseRows(int columnCount)
    {
        ColumnCount = columnCount;
        _rowStarts = [0];
        _indices = [];
        _values = [];
        _distinctColumns = [];
    }

    /// <summary>A batch over the given arrays (not copied).</summary>
    internal SparseRows(int columnCount, int rowCount, int[] rowStarts, int[] indices, float[] values, int[] distinctColumns, int distinctCount)
    {
        ColumnCount = columnCount;
        _rowStarts = rowStarts;
        _indices = indices;
        _values = values;
        _distinctColumns = distinctColumns;
        RowCount = rowCount;
        DistinctCount = distinctCount;
    }

    /// <summary>The number of columns (features) of every row.</summary>
    internal int ColumnCount { get; }

    /// <summary>The number of rows.</summary>
    internal int RowCount { get; private set; }

    /// <summary>The number of stored (non-zero) entries.</summary>
    internal int NonZeroCount => _rowStarts[RowCount] - _rowStarts[0];

    private int DistinctCount { get; set; }

    /// <summary>Where each row's entries start, and where the last one ends (<c>RowCount + 1</c> offsets).</summary>
    internal ReadOnlySpan<int> RowStarts => _rowStarts.AsSpan(0, RowCount + 1);

    /// <summary>The column of each stored entry.</summary>
    internal ReadOnlySpan<int> Indices => _indices;

    /// <summary>The value of each stored entry.</summary>
    internal ReadOnlySpan<float> Values => _values;

    /// <summary>Each column that appears in the batch, once.</summary>
    internal ReadOnlySpan<int> DistinctColumns => _distinctColumns.AsSpan(0, DistinctCount);

    /// <summary>Points the batch at new contents (the arrays are kept, not copied).</summary>
    internal void Set(int rowCount, int[] rowStarts, int[] indices, float[] values, int[] distinctColumns, int distinctCount)
    {
        RowCount = rowCount;
        _rowStarts = rowStarts;
        _indices = indices;
        _values = values;
        _distinctColumns = distinctColumns;
        DistinctCount = distinctCount;
    }
}
