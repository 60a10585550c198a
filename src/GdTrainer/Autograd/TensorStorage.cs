namespace GdTrainer.Autograd;

/// <summary>
/// The memory behind one or more tensors (a tensor and its detached or reshaped views share it),
/// together with the version counter that in-place operations bump so that a pending backward
/// can tell that a value it saved has changed.
/// </summary>
internal sealed class TensorStorage<T>
{
    internal TensorStorage(T[] data) => Data = data;

    internal T[] Data { get; }

    /// <summary>Incremented by every in-place operation on any tensor sharing this storage.</summary>
    internal int Version { get; private set; }

    internal void BumpVersion() => Version++;
}
