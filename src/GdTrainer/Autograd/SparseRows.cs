namespace GdTrainer.Autograd;

/// <summary>
/// A batch of sparse rows: row i holds the values <c>Values[start .. end)</c> at the columns <c>Indices[start .. end)</c>, in
/// increasing column order; every other entry is 0. In compressed sparse row form (CSR) the rows lie one after the other in
/// one pair of arrays; a data set read into pages lists each row's page and range instead, in any order, so that a shuffle
/// reorders that list and never moves the non-zeros. Either way a batch may be a range of the rows of a larger set whose
/// arrays it shares.
/// </summary>
internal sealed class SparseRows
{
    private readonly int[][] _indexArrays;
    private readonly float[][] _valueArrays;
    private readonly int[]? _arrayOf; // Row r's arrays (index into the two above); null: all rows in the first.
    private readonly int[] _starts;   // Where row r starts in its arrays.
    private readonly int[]? _ends;    // Where row r ends; null: where the next row starts (CSR).
    private readonly int _firstRow;

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
        : this(columnCount, rowCount, [indices], [values], null, rowStarts, null, firstRow, offsets)
    {
    }

    /// <summary>
    /// The rows <paramref name="firstRow"/> .. <paramref name="firstRow"/> + <paramref name="rowCount"/> - 1 of a list of rows spread
    /// over several pairs of arrays (not copied): row r's entries are <c>[starts[r], ends[r])</c> of
    /// <paramref name="indexArrays"/>[<paramref name="arrayOf"/>[r]] and the matching value array.
    /// </summary>
    internal SparseRows(int columnCount, int rowCount, int[][] indexArrays, float[][] valueArrays, int[]? arrayOf, int[] starts, int[]? ends, int firstRow, SparseOffsets? offsets)
    {
        Offsets = offsets;
        ColumnCount = columnCount;
        RowCount = rowCount;
        _indexArrays = indexArrays;
        _valueArrays = valueArrays;
        _arrayOf = arrayOf;
        _starts = starts;
        _ends = ends;
        _firstRow = firstRow;
        long nonZeros = 0;
        for (int r = firstRow; r < firstRow + rowCount; r++)
        {
            nonZeros += (ends is null ? starts[r + 1] : ends[r]) - starts[r];
        }

        NonZeroCount = (int)nonZeros;
    }

    /// <summary>Values subtracted from a few columns of every row (their zeros included), or null.</summary>
    internal SparseOffsets? Offsets { get; }

    /// <summary>The number of columns (features) of every row.</summary>
    internal int ColumnCount { get; }

    /// <summary>The number of rows.</summary>
    internal int RowCount { get; }

    /// <summary>The number of stored (non-zero) entries.</summary>
    internal int NonZeroCount { get; }

    /// <summary>Row <paramref name="row"/>'s columns (increasing) and values.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal void Row(int row, out ReadOnlySpan<int> indices, out ReadOnlySpan<float> values)
    {
        int r = _firstRow + row;
        int start = _starts[r];
        int length = (_ends is null ? _starts[r + 1] : _ends[r]) - start;
        int array = _arrayOf is null ? 0 : _arrayOf[r];
        indices = new ReadOnlySpan<int>(_indexArrays[array], start, length);
        values = new ReadOnlySpan<float>(_valueArrays[array], start, length);
    }

    /// <summary>The rows <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1 of these rows, sharing their arrays (a micro-shard of a batch).</summary>
    internal SparseRows Slice(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, RowCount - start);
        return new SparseRows(ColumnCount, count, _indexArrays, _valueArrays, _arrayOf, _starts, _ends, _firstRow + start, Offsets);
    }
}
