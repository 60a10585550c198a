namespace GdTrainer.Autograd;

/// <summary>
/// Brings rows of a parameter up to date with what an optimizer applies lazily (see <see cref="Tensor{T}.PendingRows"/>):
/// a sparse product calls it for the rows it is about to read, the training loop for every row before anything reads the
/// parameter densely.
/// </summary>
internal interface IRowCatchUp
{
    /// <summary>Applies what <paramref name="rows"/> are owed.</summary>
    void CatchUp(ReadOnlySpan<int> rows);

    /// <summary>Applies what every row is owed.</summary>
    void CatchUpAll();
}
