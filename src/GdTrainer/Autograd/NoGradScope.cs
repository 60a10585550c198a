namespace GdTrainer.Autograd;

/// <summary>
/// The scope returned by <see cref="Autograd.NoGrad"/>: while it is open, the current thread records
/// no autograd graph. A struct, so that opening a scope in a training loop allocates nothing.
/// </summary>
public struct NoGradScope : IDisposable
{
    private readonly int _threadId;
    private bool _disposed;

    internal NoGradScope(int threadId)
    {
        _threadId = threadId;
        _disposed = false;
    }

    /// <summary>Closes the scope and restores the grad mode that was in force when it was opened.</summary>
    /// <exception cref="InvalidOperationException">The scope is disposed on another thread than the one that opened it.</exception>
    public void Dispose()
    {
        if (_disposed || _threadId == 0)
        {
            return;
        }

        // Exit first: if it throws (wrong thread), the scope stays open so that its own thread can still close it.
        Autograd.ExitNoGrad(_threadId);
        _disposed = true;
    }
}
