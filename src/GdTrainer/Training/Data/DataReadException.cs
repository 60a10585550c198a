namespace GdTrainer.Training;

using System.Globalization;

/// <summary>
/// A pass over streamed rows failed: the stream threw, or gave other rows than its first pass. The training loop, which knows
/// which epoch was running, turns it into the error that ends <c>Fit</c> (<see cref="During"/>): never a model trained on part of an epoch.
/// </summary>
internal sealed class DataReadException : Exception
{
    private DataReadException(string detail, Exception? inner)
        : base(detail, inner)
    {
    }

    /// <summary>Reading <paramref name="source"/> threw <paramref name="inner"/> after <paramref name="rowsRead"/> usable rows of the pass.</summary>
    internal static DataReadException ReadFailed(string source, long rowsRead, Exception inner) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"reading {source} failed after {rowsRead:N0} usable rows of the pass ({inner.GetType().Name}: {inner.Message})"), inner);

    /// <summary><paramref name="source"/> gave another number of usable rows than the first pass counted.</summary>
    internal static DataReadException RowsChanged(string source, string found, long expected) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"{source} gave {found} usable rows on this pass, but {expected:N0} on the first pass: a streamed data view must give the same rows in the same order on every cursor (a file or a deterministic pipeline, not one that samples or changes)"), null);

    /// <summary>The error that ends training, saying <paramref name="when"/> it happened (e.g. "epoch 3").</summary>
    internal InvalidOperationException During(string when) =>
        new($"Training stopped in {when}: {Message}. No model is returned rather than one trained on part of an epoch: make the data source readable (the file, the connection, or the transform that failed) and call Fit again.", InnerException);
}
