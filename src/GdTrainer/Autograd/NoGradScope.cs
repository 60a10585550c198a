namespace GdTrainer.Autograd;

/// <summary>
/// The scope returned by <see cref="Autograd.NoGrad"/>: while it is open, the current thread records
/// no autograd graph. A struct, so that opening a scope in a training loop allocates nothing.
/// Disposing restores the depth of nesting the scope found when it was opened, so a second
/// dispose (of the scope or of a copy) does nothing, and disposing an outer scope first closes the
/// inner ones too.
/// </summary>
public struct NoGradScope : IDisposable
{
    private readonly int _threadId;
    private readonly int _depthBefore;

    internal NoGradScope(int threadId, int depthBefore)
    {
        _threadId = threadId;
        _depthBefore = depthBefore;
    }

    /// <summary>Closes the scope and restores the grad mode that was in force when it was opened.</summary>
    /// <exception cref="InvalidOperationException">The scope is disposed on another thread than the one that opened it.</exception>
    public void Dispose()
    {
        if (_threadId == 0)
        {
            return; // default(NoGradScope): never opened.
        }

        // Restores the depth the scope found, so disposing it twice (or disposing a copy of it) is harmless.
        Autograd.ExitNoGrad(_threadId, _depthBefore);
    }
}
