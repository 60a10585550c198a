namespace GdTrainer.Autograd;

/// <summary>
/// The version counter shared by tensors that share memory (a tensor and its detached or reshaped
/// views). In-place operations bump it, so that a pending backward can tell that a value it saved has
/// changed through any of the views. A tensor that owns its memory alone keeps its version in a
/// field and creates this object only when a first view is taken, which saves an allocation per
/// operation.
/// </summary>
internal sealed class SharedVersion(int initial)
{
    internal int Value { get; set; } = initial;
}
