using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace GdTrainer.Autograd;

/// <summary>
/// A dense, row-major tensor of rank 0, 1 or 2 that records the operations applied to it so that
/// <see cref="Backward(Tensor{T}, bool)"/> can compute gradients, with PyTorch's semantics:
/// leaf tensors with <see cref="RequiresGrad"/> receive <see cref="Grad"/>, gradients accumulate until
/// zeroed, the graph is freed by backward, and in-place changes to saved values are detected.
/// </summary>
/// <typeparam name="T">The element type: <see cref="float"/> for training, <see cref="double"/> for gradient checks.</typeparam>
/// <remarks>
/// Tensors are not thread-safe; use one graph per thread. Create tensors with the factory methods of
/// <see cref="Tensor"/>. Memory is managed by the garbage collector: a tensor never shares its memory
/// with another one unless it was obtained through <see cref="Detach"/>, <see cref="Reshape"/> or
/// <see cref="Tensor.Wrap{T}(T[], ReadOnlySpan{int})"/>, so nothing the caller holds is ever reused behind its back.
/// The one opt-in exception is <see cref="Autograd.PooledMemory"/>: results computed inside that scope
/// lend their memory from a pool until the scope is disposed, and throw when read afterwards.
/// </remarks>
public sealed partial class Tensor<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _data;
    private readonly int _offset;
    private SharedVersion? _sharedVersion;
    private int _ownVersion;
    private readonly int[] _shape;
    private bool _requiresGrad;
    private Tensor<T>? _grad;
    private GradientRows? _gradientRows;

    private readonly PooledMemoryFrame? _poolFrame;
    private readonly int _poolGeneration;

    internal Tensor(T[] data, int offset, int[] shape, int length, Node<T>? gradFn = null, SharedVersion? sharedVersion = null)
        : this(data, offset, shape, length, gradFn, sharedVersion, PooledMemoryState.Current?.FrameOwning(data))
    {
    }

    private Tensor(T[] data, int offset, int[] shape, int length, Node<T>? gradFn, SharedVersion? sharedVersion, PooledMemoryFrame? poolFrame)
        : this(data, offset, shape, length, gradFn, sharedVersion, poolFrame, poolFrame?.Generation ?? 0)
    {
    }

    /// <param name="data">The memory.</param>
    /// <param name="offset">Where the tensor starts in <paramref name="data"/>.</param>
    /// <param name="shape">The shape (owned by the tensor).</param>
    /// <param name="length">The number of elements.</param>
    /// <param name="gradFn">The node that computed the tensor, or null for a leaf.</param>
    /// <param name="sharedVersion">The version counter shared with views, if any.</param>
    /// <param name="poolFrame">The pooled-memory scope that lent <paramref name="data"/>, or null if the tensor owns it.</param>
    /// <param name="poolGeneration">The frame's generation while the memory is the tensor's.</param>
    private Tensor(
        T[] data, int offset, int[] shape, int length, Node<T>? gradFn, SharedVersion? sharedVersion, PooledMemoryFrame? poolFrame, int poolGeneration)
    {
        _poolFrame = poolFrame;
        _poolGeneration = poolGeneration;
        _data = data;
        _sharedVersion = sharedVersion;
        _offset = offset;
        _shape = shape;
        Length = length;
        Dims = Dims2.Of(shape);
        GradFn = gradFn;
        gradFn?.AttachOutput(this);
    }

    /// <summary>Creates a tensor over a whole array: a factory's fresh one, or an operation's output from <see cref="TensorMemory{T}.Allocate"/>.</summary>
    internal Tensor(T[] data, int[] shape, Node<T>? gradFn = null)
        : this(data, 0, shape, data.Length, gradFn)
    {
    }

    /// <summary>The size of each dimension; empty for a scalar.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of dimensions: 0 (scalar), 1 or 2.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements (1 for a scalar).</summary>
    public int Length { get; }

    /// <summary>
    /// The elements in row-major order, readable and writable: the counterpart of PyTorch's
    /// <c>tensor.data</c>. Writes through this span bypass autograd entirely (no version bump, no
    /// check), so use the in-place methods such as <see cref="SubtractInPlace"/> to update
    /// parameters safely.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor was computed inside an <see cref="Autograd.PooledMemory"/> scope that has been disposed.</exception>
    public Span<T> Data
    {
        get
        {
            // One field test on the hot path; measured cost in MlpStepBenchmarks: within noise (see the report of issue #8).
            if (_poolFrame is not null && _poolFrame.Generation != _poolGeneration)
            {
                ThrowMemoryReturned();
            }

            return _data.AsSpan(_offset, Length);
        }
    }

    /// <summary>Whether the tensor's memory went back to the pool with the <see cref="Autograd.PooledMemory"/> scope that computed it.</summary>
    internal bool IsMemoryReturned => _poolFrame is not null && _poolFrame.Generation != _poolGeneration;

    /// <summary>
    /// Whether operations on this tensor are recorded so that gradients flow back to it. Settable on
    /// leaf tensors only (<c>requires_grad_()</c>); a tensor computed from one that requires grad
    /// requires grad itself. Default: <see langword="false"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Set on a tensor that is not a leaf.</exception>
    public bool RequiresGrad
    {
        get => _requiresGrad || GradFn is not null;
        set
        {
            if (GradFn is not null)
            {
                throw new InvalidOperationException(
                    $"RequiresGrad can only be set on leaf tensors, but {Describe()} was computed by {GradFn.Name}. " +
                    "Call Detach() to get a leaf that shares its values.");
            }

            _requiresGrad = value;
        }
    }

    /// <summary>
    /// True for tensors created by the user (factories, <see cref="Detach"/>) or computed while no
    /// input required grad; false for results of recorded operations. Only leaves that require grad
    /// receive <see cref="Grad"/>.
    /// </summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>
    /// The accumulated gradient of the last backward passes with respect to this leaf:
    /// <see langword="null"/> until the first backward reaches it, then summed into by every later
    /// backward until <see cref="ZeroGrad"/> or setting it to <see langword="null"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Set to a tensor of another shape.</exception>
    public Tensor<T>? Grad
    {
        get => _grad;
        set
        {
            if (value is not null && !value.Shape.SequenceEqual(Shape))
            {
                throw new ArgumentException(
                    $"The gradient assigned to {Describe()} has shape {Shapes.Format(value.Shape)}; it must have the tensor's own shape.",
                    nameof(value));
            }

            _grad = value;
        }
    }

    /// <summary>The name of the operation that produced this tensor, or null for a leaf (PyTorch's <c>grad_fn</c>).</summary>
    public string? GradFunctionName => GradFn?.Name;

    internal Node<T>? GradFn { get; }

    internal Dims2 Dims { get; }

    internal int[] ShapeArray => _shape;

    /// <summary>The array behind <see cref="Data"/>, unchecked (tests of the pooled memory compare identities).</summary>
    internal T[] Storage => _data;

    internal int Version => _sharedVersion?.Value ?? _ownVersion;

    /// <summary>Gets or sets the element at <paramref name="index"/> of a rank-1 tensor (or of the flattened data).</summary>
    /// <exception cref="IndexOutOfRangeException">The index is outside the tensor.</exception>
    /// <exception cref="InvalidOperationException">Set on a tensor that requires grad while grad mode is on.</exception>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public T this[int index]
    {
        get => Data[index];
        set
        {
            EnsureInPlaceAllowed("Setting an element");
            Data[index] = value;
            MarkModified();
        }
    }

    /// <summary>Gets or sets the element at (<paramref name="row"/>, <paramref name="column"/>) of a rank-2 tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not of rank 2, or set on a tensor that requires grad while grad mode is on.</exception>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public T this[int row, int column]
    {
        get => Data[FlatIndex(row, column)];
        set
        {
            EnsureInPlaceAllowed("Setting an element");
            Data[FlatIndex(row, column)] = value;
            MarkModified();
        }
    }

    /// <summary>The value of a one-element tensor (PyTorch's <c>item()</c>).</summary>
    /// <exception cref="InvalidOperationException">The tensor has more or fewer than one element.</exception>
    public T Item()
    {
        if (Length != 1)
        {
            throw new InvalidOperationException($"Item() needs a tensor with exactly one element, but {Describe()} has {Length}.");
        }

        return Data[0];
    }

    /// <summary>A copy of the elements in row-major order.</summary>
    public T[] ToArray() => Data.ToArray();

    /// <summary>
    /// A new leaf that shares this tensor's memory (and version counter) but is cut off from the
    /// graph and never requires grad (PyTorch's <c>detach()</c>).
    /// </summary>
    public Tensor<T> Detach() => CreateView(_shape, node: null);

    /// <summary>Sets every element of <see cref="Grad"/> to zero, keeping its memory for the next backward; does nothing while it is null.</summary>
    public void ZeroGrad()
    {
        if (_gradientRows is { } rows && _grad is not null)
        {
            rows.Clear(_grad.Data); // Only the rows a sparse product touched, unless a dense operation wrote the gradient too.
            return;
        }

        _grad?.Data.Clear();
    }

    /// <summary>
    /// Which rows of this leaf's gradient hold values, when only sparse operations (<see cref="SparseRows"/> products) wrote it
    /// since it was last zeroed; null when no sparse operation ever wrote it. Optimizers then update only those rows.
    /// </summary>
    internal GradientRows? GradientRows => _gradientRows;

    /// <summary>
    /// What an optimizer owes this parameter lazily (SGD's weight decay between the sparse batches that touch its rows): its
    /// values are the stored ones times <see cref="IRowCatchUp.Scale"/>, which a sparse product applies to what it reads. Null
    /// when nothing is owed.
    /// </summary>
    internal IRowCatchUp? PendingRows { get; set; }

    /// <summary>
    /// Where a sparse operation adds this leaf's gradient: the whole <see cref="Grad"/> (created on first use), with
    /// <paramref name="rows"/> of <paramref name="rowLength"/> elements each recorded as the ones it touches.
    /// </summary>
    internal Span<T> SparseGradientTarget(ReadOnlySpan<int> rows, int rowLength)
    {
        if (typeof(T) == typeof(float) && GradientSink.Current is { } sink)
        {
            return MemoryMarshal.Cast<float, T>(sink.SparseTarget(Unsafe.As<Tensor<float>>(this), rows, rowLength));
        }

        return OwnSparseGradientTarget(rows, rowLength);
    }

    /// <summary><see cref="SparseGradientTarget"/> without a <see cref="GradientSink"/>: always this leaf's own <see cref="Grad"/>.</summary>
    internal Span<T> OwnSparseGradientTarget(ReadOnlySpan<int> rows, int rowLength)
    {
        _grad ??= new Tensor<T>(new T[Length], _shape);
        _gradientRows ??= new GradientRows(Length / rowLength, rowLength);
        _gradientRows.Mark(rows);
        return _grad.Data;
    }

    /// <summary>
    /// Computes the gradient of this scalar with respect to every leaf that requires grad and adds
    /// it into their <see cref="Grad"/>. The graph is freed afterwards.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor does not require grad, is not a scalar, or its graph was already freed by a previous backward.</exception>
    public void Backward() => BackwardEngine<T>.Run(this, null, retainGraph: false);

    /// <summary>
    /// Computes the vector-Jacobian product of this tensor with <paramref name="gradient"/> (the
    /// gradient of some scalar with respect to this tensor) and adds it into the leaves'
    /// <see cref="Grad"/>.
    /// </summary>
    /// <param name="gradient">The output gradient, of this tensor's shape; null is allowed for a one-element tensor and means 1.</param>
    /// <param name="retainGraph">Keep the graph so that a second backward through it is possible. Default: false.</param>
    /// <exception cref="ArgumentException">The gradient's shape differs from this tensor's.</exception>
    /// <exception cref="InvalidOperationException">See <see cref="Backward()"/>.</exception>
    public void Backward(Tensor<T>? gradient, bool retainGraph = false) => BackwardEngine<T>.Run(this, gradient, retainGraph);

    /// <summary>A short description with shape, flags and the first values.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder($"Tensor<{typeof(T).Name}>{Shapes.Format(Shape)}");
        if (GradFn is not null)
        {
            builder.Append(" grad_fn=").Append(GradFn.Name);
        }
        else if (_requiresGrad)
        {
            builder.Append(" requires_grad");
        }

        if (IsMemoryReturned)
        {
            return builder.Append(" { memory returned to the pool }").ToString();
        }

        builder.Append(" {");
        ReadOnlySpan<T> data = Data;
        int shown = Math.Min(data.Length, 8);
        for (int i = 0; i < shown; i++)
        {
            builder.Append(i == 0 ? " " : ", ").Append(data[i].ToString("G6", CultureInfo.InvariantCulture));
        }

        return builder.Append(data.Length > shown ? ", ... }" : " }").ToString();
    }

    /// <summary>How error messages name this tensor: its shape and its role in the graph.</summary>
    internal string Describe()
    {
        string role = GradFn is not null ? $"computed by {GradFn.Name}" : _requiresGrad ? "a leaf that requires grad" : "a leaf";
        return $"the tensor of shape {Shapes.Format(Shape)} ({role})";
    }

    /// <summary>
    /// Where backward adds this tensor's gradient: <see cref="Grad"/> for a leaf (created on first
    /// use), or the current <see cref="GradientSink"/>'s buffer for it while a micro-shard of a training step runs on this
    /// thread; the producing node's pooled buffer for an intermediate result.
    /// </summary>
    internal Span<T> GradientTarget()
    {
        if (GradFn is null)
        {
            if (typeof(T) == typeof(float) && GradientSink.Current is { } sink)
            {
                return MemoryMarshal.Cast<float, T>(sink.Target(Unsafe.As<Tensor<float>>(this)));
            }

            return OwnGradientTarget();
        }

        if (GradFn.GradientBuffer is null)
        {
            var buffer = ArrayPool<T>.Shared.Rent(Math.Max(Length, 1));
            buffer.AsSpan(0, Length).Clear();
            GradFn.GradientBuffer = buffer;
        }

        return GradFn.GradientBuffer.AsSpan(0, Length);
    }

    /// <summary>A leaf's own <see cref="Grad"/> as the target of a dense write (created on first use), whatever sink is current.</summary>
    internal Span<T> OwnGradientTarget()
    {
        _grad ??= new Tensor<T>(new T[Length], _shape);
        _gradientRows?.MarkDense();
        return _grad.Data;
    }

    /// <summary>
    /// Rows <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1 of a rank-1 or rank-2 tensor, as a new
    /// leaf over the same memory that records nothing (a micro-shard of a batch of data; not for parameters, whose views share their
    /// version counter through <see cref="CreateView"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The rows are not inside the tensor, or it has rank 0.</exception>
    internal Tensor<T> RowRange(int start, int count)
    {
        if (Rank == 0 || start < 0 || count < 0 || start + count > _shape[0])
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"Rows {start} .. {start + count - 1} are not inside {Describe()}.");
        }

        int columns = Rank == 2 ? _shape[1] : 1;
        int[] shape = Rank == 2 ? [count, columns] : [count];
        return new Tensor<T>(_data, _offset + (start * columns), shape, count * columns, null, null, _poolFrame, _poolGeneration);
    }

    /// <summary>
    /// Gives the tensor the version counter it would share with a first view now, so that threads that take views of it at the
    /// same time (a micro-shard's forward pass reshaping a parameter) do not each create one: call it before reading a parameter
    /// from several threads. In-place changes then bump the shared counter, as they would after a first view.
    /// </summary>
    internal void ShareVersion() => _sharedVersion ??= new SharedVersion(_ownVersion);

    internal void EnsureInPlaceAllowed(string operation)
    {
        if (RequiresGrad && Autograd.IsGradEnabled)
        {
            string reason = IsLeaf
                ? "A leaf that requires grad can only be changed in place inside `using (Autograd.NoGrad()) { ... }`, as an optimizer step does."
                : "It is the result of a recorded operation; changing it in place would break the graph. Compute a new tensor instead, or change it inside Autograd.NoGrad().";
            throw new InvalidOperationException($"{operation} would change {Describe()} in place while grad mode is on. {reason}");
        }
    }

    internal void MarkModified()
    {
        if (_sharedVersion is null)
        {
            _ownVersion++;
        }
        else
        {
            _sharedVersion.Value++;
        }
    }

    /// <summary>A new tensor of the given shape over this tensor's memory and version counter, recording <paramref name="node"/>.</summary>
    internal Tensor<T> CreateView(int[] shape, Node<T>? node)
    {
        if (IsMemoryReturned)
        {
            ThrowMemoryReturned();
        }

        _sharedVersion ??= new SharedVersion(_ownVersion);
        return new Tensor<T>(_data, _offset, shape, Length, node, _sharedVersion, _poolFrame, _poolGeneration);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowMemoryReturned() =>
        throw new InvalidOperationException(
            $"Cannot read {Describe()}: it was computed inside an Autograd.PooledMemory() scope that has been disposed, so its memory went back to the pool " +
            "and now holds other values. Copy what you need before the scope ends (Item(), ToArray()), call Backward() inside the scope, " +
            "or compute the tensor outside a PooledMemory scope.");

    private int FlatIndex(int row, int column)
    {
        if (Rank != 2)
        {
            throw new InvalidOperationException($"Two indices need a tensor of rank 2, but {Describe()} has rank {Rank}.");
        }

        if ((uint)row >= (uint)_shape[0] || (uint)column >= (uint)_shape[1])
        {
            throw new IndexOutOfRangeException($"Index ({row}, {column}) is outside {Describe()}.");
        }

        return (row * _shape[1]) + column;
    }
}
