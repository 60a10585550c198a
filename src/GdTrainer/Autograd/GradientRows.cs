namespace GdTrainer.Autograd;

/// <summary>
/// The rows of a leaf's gradient that sparse products wrote since it was last zeroed (each once, in the order first
/// touched), or the fact that a dense operation wrote it as well, so that zeroing and the optimizer's step cost the rows
/// touched rather than the whole parameter: a <c>[d, k]</c> weight over a 2^20-slot text vector has a million rows, of
/// which a batch touches a few thousand.
/// </summary>
internal sealed class GradientRows(int rowCount, int rowLength)
{
    private readonly bool[] _marked = new bool[rowCount];
    private readonly int[] _rows = new int[rowCount];
    private int _count;

    /// <summary>The elements per row.</summary>
    internal int RowLength { get; } = rowLength;

    /// <summary>Whether a dense operation wrote the gradient too: then every row may hold values.</summary>
    internal bool IsDense { get; private set; }

    /// <summary>The rows touched, each once.</summary>
    internal ReadOnlySpan<int> Rows => _rows.AsSpan(0, _count);

    internal void Mark(ReadOnlySpan<int> rows)
    {
        foreach (int row in rows)
        {
            if (!_marked[row])
            {
                _marked[row] = true;
                _rows[_count++] = row;
            }
        }
    }

    internal void MarkDense() => IsDense = true;

    /// <summary>Zeroes the rows touched (all of <paramref name="gradient"/> after a dense write) and forgets them.</summary>
    internal void Clear<T>(Span<T> gradient)
    {
        if (IsDense)
        {
            gradient.Clear();
            Array.Clear(_marked);
        }
        else
        {
            foreach (int row in Rows)
            {
                gradient.Slice(row * RowLength, RowLength).Clear();
                _marked[row] = false;
            }
        }

        _count = 0;
        IsDense = false;
    }
}
