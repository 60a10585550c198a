namespace GdTrainer.Autograd;

/// <summary>
/// One level of nested <see cref="Autograd.PooledMemory"/> scopes on one thread. The object is reused by
/// every scope opened at its depth; <see cref="Generation"/> grows each time a scope at this depth closes,
/// so a tensor that remembers (frame, generation) knows whether its memory is still its own.
/// </summary>
internal sealed class PooledMemoryFrame(int index)
{
    /// <summary>The frame's depth (0 for the outermost scope).</summary>
    internal int Index { get; } = index;

    /// <summary>Where this scope's arrays start in <see cref="PooledMemoryState.Rented"/>.</summary>
    internal int Start { get; set; }

    /// <summary>Increased every time the scope that used this frame is disposed.</summary>
    internal int Generation { get; set; }
}

/// <summary>
/// The pooled-memory scopes of one thread: the arrays handed out by <see cref="TensorMemory{T}.Allocate"/>
/// since the outermost scope opened (in order, so that each scope owns a suffix), and one frame per level
/// of nesting. Allocated once per thread; opening and closing scopes then allocates nothing.
/// </summary>
internal sealed class PooledMemoryState
{
    [ThreadStatic]
    private static PooledMemoryState? t_current;

    private readonly List<PooledMemoryFrame> _frames = [];

    /// <summary>This thread's state, or null if the thread never opened a scope.</summary>
    internal static PooledMemoryState? Current => t_current;

    /// <summary>The arrays rented by the open scopes, outermost scope first.</summary>
    internal List<Array> Rented { get; } = [];

    /// <summary>The number of open scopes on this thread.</summary>
    internal int Depth { get; private set; }

    internal static PooledMemoryState GetOrCreate() => t_current ??= new PooledMemoryState();

    /// <summary>Opens a scope one level deeper and returns its frame.</summary>
    internal PooledMemoryFrame Open()
    {
        if (Depth == _frames.Count)
        {
            _frames.Add(new PooledMemoryFrame(Depth));
        }

        PooledMemoryFrame frame = _frames[Depth];
        frame.Start = Rented.Count;
        Depth++;
        return frame;
    }

    /// <summary>
    /// Closes the scope of <paramref name="frame"/> and every scope opened inside it: their tensors become
    /// unreadable and their arrays go back to the free lists, innermost first.
    /// </summary>
    internal void Close(PooledMemoryFrame frame)
    {
        for (int level = Depth - 1; level >= frame.Index; level--)
        {
            _frames[level].Generation++;
        }

        for (int i = Rented.Count - 1; i >= frame.Start; i--)
        {
            switch (Rented[i])
            {
                case float[] floats:
                    TensorMemory<float>.Free(floats);
                    break;
                case double[] doubles:
                    TensorMemory<double>.Free(doubles);
                    break;
            }
        }

        Rented.RemoveRange(frame.Start, Rented.Count - frame.Start);
        Depth = frame.Index;
    }

    /// <summary>
    /// The innermost open frame if <paramref name="array"/> was rented in it (an operation's output being
    /// wrapped in its tensor), else null. Searches from the most recent rental, which is almost always it.
    /// </summary>
    internal PooledMemoryFrame? FrameOwning(Array array)
    {
        if (Depth == 0)
        {
            return null;
        }

        PooledMemoryFrame frame = _frames[Depth - 1];
        for (int i = Rented.Count - 1; i >= frame.Start; i--)
        {
            if (ReferenceEquals(Rented[i], array))
            {
                return frame;
            }
        }

        return null;
    }
}
