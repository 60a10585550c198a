namespace GdTrainer.Autograd;

/// <summary>
/// Where the gradients of a model's parameters go while one micro-shard of a batch runs its backward pass on a thread (the
/// training loop's data-parallel step): while a sink is current on a thread (<see cref="Use"/>),
/// <see cref="Tensor{T}.GradientTarget"/> and <see cref="Tensor{T}.SparseGradientTarget"/> of a parameter write into the sink's
/// own buffer for it instead of the parameter's shared <see cref="Tensor{T}.Grad"/>, so that shards on several threads never
/// write the same memory and their gradients can be summed afterwards in a fixed order, whichever thread computed them.
/// </summary>
/// <remarks>
/// A sink records per parameter what the parameter itself records: whether anything wrote its gradient, the rows sparse products
/// touched and whether a dense operation wrote too (<see cref="GradientRows"/>), so that clearing it and summing it cost the rows
/// touched. A <em>direct</em> sink passes the writes through to the parameters' own gradients and only records that they
/// happened: the first shard of a batch accumulates straight into <see cref="Tensor{T}.Grad"/> (zeroed before the step), which
/// saves one buffer and one addition per element against a private buffer and gives the same bits (both start from +0).
/// The buffers are allocated on first use and kept for the next step. Not thread-safe: one thread uses a sink at a time.
/// </remarks>
internal sealed class GradientSink
{
    [ThreadStatic]
    private static GradientSink? t_current;

    private readonly IReadOnlyList<Tensor<float>> _leaves;
    private readonly Dictionary<Tensor<float>, int> _indexOf;
    private readonly float[]?[] _buffers;
    private readonly GradientRows?[] _rows;
    private readonly bool[] _written;

    /// <param name="leaves">The parameters whose gradients the sink takes, each once; any other leaf reached by backward is an error.</param>
    /// <param name="direct">Whether writes go to the parameters' own gradients (the sink only records them).</param>
    internal GradientSink(IReadOnlyList<Tensor<float>> leaves, bool direct)
    {
        _leaves = leaves;
        IsDirect = direct;
        _indexOf = new Dictionary<Tensor<float>, int>(leaves.Count, ReferenceEqualityComparer.Instance);
        for (int i = 0; i < leaves.Count; i++)
        {
            _indexOf.Add(leaves[i], i);
        }

        _buffers = new float[leaves.Count][];
        _rows = new GradientRows[leaves.Count];
        _written = new bool[leaves.Count];
    }

    /// <summary>The sink current on this thread, or null (gradients go to the leaves themselves).</summary>
    internal static GradientSink? Current => t_current;

    /// <summary>Whether writes go to the parameters' own gradients.</summary>
    internal bool IsDirect { get; }

    /// <summary>The number of parameters.</summary>
    internal int Count => _leaves.Count;

    /// <summary>The number of elements of parameter <paramref name="leaf"/>.</summary>
    internal int Length(int leaf) => _leaves[leaf].Length;

    /// <summary>
    /// Makes <paramref name="sink"/> current on the calling thread (null: none, gradients go to the leaves themselves) until the
    /// returned scope is disposed, on the same thread.
    /// </summary>
    internal static Scope Use(GradientSink? sink)
    {
        GradientSink? previous = t_current;
        t_current = sink;
        return new Scope(previous);
    }

    /// <summary>Whether a gradient was written for parameter <paramref name="leaf"/> since the last <see cref="Clear"/>.</summary>
    internal bool IsWritten(int leaf) => _written[leaf];

    /// <summary>
    /// Whether parameter <paramref name="leaf"/>'s gradient here may hold values outside the rows sparse products touched (a dense
    /// operation wrote it, or no sparse one ever did): it is then summed element by element rather than row by row.
    /// </summary>
    internal bool IsDense(int leaf) => (IsDirect ? _leaves[leaf].GradientRows : _rows[leaf]) is not { IsDense: false };

    /// <summary>The rows sparse products touched in parameter <paramref name="leaf"/>'s gradient, when only sparse products wrote it.</summary>
    internal ReadOnlySpan<int> TouchedRows(int leaf) => (IsDirect ? _leaves[leaf].GradientRows : _rows[leaf])!.Rows;

    /// <summary>The elements per touched row of parameter <paramref name="leaf"/>'s gradient.</summary>
    internal int RowLength(int leaf) => (IsDirect ? _leaves[leaf].GradientRows : _rows[leaf])!.RowLength;

    /// <summary>
    /// Makes parameter <paramref name="leaf"/>'s gradient ready to receive a dense sum: its buffer (created zeroed on first use; a
    /// direct sink's parameter gradient) is marked written and dense. Read and write it afterwards with <see cref="Gradient"/>.
    /// </summary>
    internal void PrepareDense(int leaf)
    {
        _written[leaf] = true;
        if (IsDirect)
        {
            _leaves[leaf].OwnGradientTarget();
            return;
        }

        _rows[leaf]?.MarkDense();
        BufferOf(leaf);
    }

    /// <summary>
    /// Makes parameter <paramref name="leaf"/>'s gradient ready to receive a sum over <paramref name="rows"/> (rows of
    /// <paramref name="rowLength"/> elements), which are recorded as touched; marked written.
    /// </summary>
    internal void PrepareRows(int leaf, ReadOnlySpan<int> rows, int rowLength)
    {
        _written[leaf] = true;
        if (IsDirect)
        {
            _leaves[leaf].OwnSparseGradientTarget(rows, rowLength);
            return;
        }

        (_rows[leaf] ??= new GradientRows(_leaves[leaf].Length / rowLength, rowLength)).Mark(rows);
        BufferOf(leaf);
    }

    /// <summary>
    /// Parameter <paramref name="leaf"/>'s gradient here, after <see cref="PrepareDense"/> or <see cref="PrepareRows"/> or a write by
    /// backward (a direct sink's is the parameter's own <see cref="Tensor{T}.Grad"/>). No side effect, so threads may each use a
    /// part of it.
    /// </summary>
    internal Span<float> Gradient(int leaf) => IsDirect ? _leaves[leaf].Grad!.Data : _buffers[leaf];

    /// <summary>
    /// Forgets what was written: a private buffer is zeroed where it was written (the rows touched, or all of it), a direct sink
    /// only forgets that it was written to (the optimizer zeroes the parameters' gradients).
    /// </summary>
    internal void Clear()
    {
        for (int i = 0; i < _written.Length; i++)
        {
            if (!_written[i])
            {
                continue;
            }

            _written[i] = false;
            if (IsDirect)
            {
                continue;
            }

            if (_rows[i] is { } rows)
            {
                rows.Clear<float>(_buffers[i]);
            }
            else
            {
                _buffers[i].AsSpan().Clear();
            }
        }
    }

    /// <summary>Where a dense operation adds <paramref name="leaf"/>'s gradient while this sink is current.</summary>
    /// <exception cref="InvalidOperationException">The leaf is not one of the sink's parameters.</exception>
    internal Span<float> Target(Tensor<float> leaf)
    {
        int index = IndexOf(leaf);
        PrepareDense(index);
        return Gradient(index);
    }

    /// <summary>Where a sparse product adds <paramref name="leaf"/>'s gradient in <paramref name="rows"/> while this sink is current.</summary>
    /// <exception cref="InvalidOperationException">The leaf is not one of the sink's parameters.</exception>
    internal Span<float> SparseTarget(Tensor<float> leaf, ReadOnlySpan<int> rows, int rowLength)
    {
        int index = IndexOf(leaf);
        PrepareRows(index, rows, rowLength);
        return Gradient(index);
    }

    private float[] BufferOf(int leaf) => _buffers[leaf] ??= new float[_leaves[leaf].Length];

    private int IndexOf(Tensor<float> leaf) => _indexOf.TryGetValue(leaf, out int index)
        ? index
        : throw new InvalidOperationException(
            $"The backward pass of a micro-shard reached {leaf.Describe()}, which requires grad but is not a parameter of the model being trained: " +
            "the shards of a batch would all write its gradient at once. Register it with RegisterParameter in the module that owns it, or set RequiresGrad = false.");

    /// <summary>Restores the sink that was current before <see cref="Use"/>.</summary>
    internal readonly struct Scope(GradientSink? previous) : IDisposable
    {
        /// <summary>Restores the previous sink.</summary>
        public void Dispose() => t_current = previous;
    }
}
