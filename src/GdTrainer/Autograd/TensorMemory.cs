using System.Numerics;

namespace GdTrainer.Autograd;

/// <summary>
/// The one place where operations get the memory of their outputs. Every operation's forward calls
/// <see cref="Allocate"/> for its output array (never <c>new T[]</c> or <c>GC.AllocateUninitializedArray</c>),
/// so the policy lives here: outside an <see cref="Autograd.PooledMemory"/> scope a fresh, uninitialised
/// array the garbage collector owns (nothing the caller keeps is ever reused); inside one, an array of
/// exactly <c>length</c> elements from the thread's pool, given back when the scope is disposed.
/// </summary>
/// <typeparam name="T">The element type; <see cref="float"/> and <see cref="double"/> are pooled, others always allocate.</typeparam>
internal static class TensorMemory<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    // Free arrays of this thread by exact length: a tensor's Length is its array's length.
    [ThreadStatic]
    private static Dictionary<int, Stack<T[]>>? t_free;

    /// <summary>
    /// An array of exactly <paramref name="length"/> elements for an operation's output, with
    /// unspecified contents (the operation overwrites every element, or clears it first).
    /// </summary>
    internal static T[] Allocate(int length)
    {
        PooledMemoryState? state = PooledMemoryState.Current;
        if (state is null || state.Depth == 0 || length == 0 || !(typeof(T) == typeof(float) || typeof(T) == typeof(double)))
        {
            return GC.AllocateUninitializedArray<T>(length);
        }

        T[] array = t_free is not null && t_free.TryGetValue(length, out Stack<T[]>? stack) && stack.TryPop(out T[]? pooled)
            ? pooled
            : GC.AllocateUninitializedArray<T>(length);
        state.Rented.Add(array);
        return array;
    }

    /// <summary>A one-element array holding <paramref name="value"/>, for a scalar output (a loss, a full reduction).</summary>
    internal static T[] Scalar(T value)
    {
        T[] array = Allocate(1);
        array[0] = value;
        return array;
    }

    /// <summary>Puts an array rented by <see cref="Allocate"/> back on the thread's free list.</summary>
    internal static void Free(T[] array)
    {
        Dictionary<int, Stack<T[]>> free = t_free ??= [];
        if (!free.TryGetValue(array.Length, out Stack<T[]>? stack))
        {
            stack = new Stack<T[]>();
            free.Add(array.Length, stack);
        }

        stack.Push(array);
    }

    /// <summary>Drops every free array of this thread (the garbage collector reclaims them).</summary>
    internal static void Trim() => t_free = null;
}
