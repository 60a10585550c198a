namespace GdTrainer.Autograd;

/// <summary>
/// The scope returned by <see cref="Autograd.PooledMemory"/>: while it is open, the outputs of operations
/// on the current thread are rented from a per-thread pool, and disposing it gives them all back. A struct,
/// so that opening a scope in a training loop allocates nothing. Disposing twice (or disposing a copy)
/// does nothing; disposing an outer scope first closes the inner ones too.
/// </summary>
public struct PooledMemoryScope : IDisposable
{
    private readonly int _threadId;
    private readonly PooledMemoryFrame? _frame;
    private readonly int _generation;

    internal PooledMemoryScope(int threadId, PooledMemoryFrame frame)
    {
        _threadId = threadId;
        _frame = frame;
        _generation = frame.Generation;
    }

    /// <summary>
    /// Closes the scope: every tensor computed by an operation inside it (and inside scopes nested in it)
    /// gives its memory back to the pool and throws <see cref="InvalidOperationException"/> when read afterwards.
    /// </summary>
    /// <exception cref="InvalidOperationException">The scope is disposed on another thread than the one that opened it.</exception>
    public void Dispose()
    {
        if (_frame is null || _frame.Generation != _generation)
        {
            return; // default(PooledMemoryScope), or already closed (by itself, a copy, or an outer scope).
        }

        if (_threadId != Environment.CurrentManagedThreadId)
        {
            throw new InvalidOperationException(
                "A PooledMemory scope was disposed on a different thread than the one that opened it; the pool is per thread, so open and dispose the scope on the same thread (no await inside it).");
        }

        PooledMemoryState.Current!.Close(_frame);
    }
}
