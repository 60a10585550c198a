namespace GdTrainer.Autograd;

/// <summary>
/// Global switches of the autograd engine, the counterpart of <c>torch.no_grad()</c> and
/// <c>torch.is_grad_enabled()</c>.
/// </summary>
public static class Autograd
{
    [ThreadStatic]
    private static int t_noGradDepth;

    /// <summary>
    /// Whether operations on the current thread record a graph for <see cref="Tensor{T}.Backward()"/>.
    /// <see langword="true"/> unless the thread is inside a <see cref="NoGrad"/> scope. Grad mode is
    /// thread-local: a scope on one thread does not affect another.
    /// </summary>
    public static bool IsGradEnabled => t_noGradDepth == 0;

    /// <summary>
    /// Opens a scope in which no operation records a graph and in which in-place updates of leaf
    /// tensors that require grad are allowed (the optimizer step). Dispose the scope to restore the
    /// previous mode; scopes nest. Use as <c>using (Autograd.NoGrad()) { ... }</c>.
    /// </summary>
    /// <returns>A scope that re-enables recording (unless an outer scope is still open) when disposed.</returns>
    public static NoGradScope NoGrad()
    {
        var scope = new NoGradScope(Environment.CurrentManagedThreadId, t_noGradDepth);
        t_noGradDepth++;
        return scope;
    }

    internal static void ExitNoGrad(int threadId, int depthBefore)
    {
        if (threadId != Environment.CurrentManagedThreadId)
        {
            throw new InvalidOperationException(
                "A NoGrad scope was disposed on a different thread than the one that opened it; grad mode is thread-local, so open and dispose the scope on the same thread.");
        }

        t_noGradDepth = Math.Min(t_noGradDepth, depthBefore);
    }
}
