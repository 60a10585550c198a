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

    /// <summary>
    /// Opens a scope in which the outputs of operations on the current thread are rented from a
    /// per-thread pool instead of being allocated, and given back all at once when the scope is
    /// disposed: a training step inside <c>using (Autograd.PooledMemory()) { ... }</c> allocates
    /// (almost) nothing once the pool is warm. PyTorch has no direct equivalent (its caching allocator
    /// reuses memory only once no tensor refers to it); this is an explicit arena.
    /// </summary>
    /// <remarks>
    /// <para>The contract: a tensor computed by an operation inside the scope (forward results such as
    /// predictions and the loss, and anything derived from them) lives only until the scope is disposed.
    /// Afterwards its memory belongs to the pool and is reused by the next scope, so reading it
    /// (<see cref="Tensor{T}.Data"/>, <see cref="Tensor{T}.Item"/>, <see cref="Tensor{T}.ToArray"/>, an
    /// indexer, an operation, <see cref="Tensor{T}.Backward()"/>) throws <see cref="InvalidOperationException"/>
    /// instead of returning another step's values. Copy what must outlive the scope first
    /// (<c>float loss = lossTensor.Item();</c>, <c>ToArray()</c>).</para>
    /// <para>Not affected: tensors created with the <see cref="Tensor"/> factories (even inside the scope),
    /// parameters and every <see cref="Tensor{T}.Grad"/> (leaf gradients always own their memory), and
    /// optimizer state. So forward, loss, <c>Backward()</c>, <c>Step()</c> and <c>ZeroGrad()</c> inside the scope
    /// give exactly the same parameters as without it. Call <c>Backward()</c> inside the scope that built the graph.</para>
    /// <para>Open one scope per training step (or per evaluation batch): a scope keeps every output computed
    /// inside it until it is disposed, so a scope around a whole epoch would hold the epoch's intermediates.
    /// Scopes nest (an inner scope gives back only what was computed inside it) and are per thread.
    /// Dispose on the thread that opened the scope; an exception inside <c>using</c> still gives the memory
    /// back. The pool keeps the arrays for the next scope: it holds the largest working set of one step per
    /// thread until <see cref="ReleasePooledMemory"/>. Only <see cref="float"/> and <see cref="double"/>
    /// tensors are pooled.</para>
    /// </remarks>
    /// <returns>A scope that gives the memory of the tensors computed inside it back to the pool when disposed.</returns>
    public static PooledMemoryScope PooledMemory() =>
        new(Environment.CurrentManagedThreadId, PooledMemoryState.GetOrCreate().Open());

    /// <summary>
    /// Drops the arrays the current thread's pool keeps for future <see cref="PooledMemory"/> scopes, so that
    /// the garbage collector can reclaim them. Arrays of scopes still open are not affected.
    /// </summary>
    public static void ReleasePooledMemory()
    {
        TensorMemory<float>.Trim();
        TensorMemory<double>.Trim();
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
