namespace GdTrainer.Training;

/// <summary>
/// Rows that can be read again, one pass at a time, always the same rows in the same order: what a
/// <see cref="StreamingTrainingSource"/> trains from when the data does not fit in memory (the ML.NET trainers implement it
/// over an <c>IDataView</c>'s cursors). Rows that cannot be trained on are the stream's to leave out, the same ones on every pass.
/// </summary>
internal interface IRowStream
{
    /// <summary>The number of features of every row.</summary>
    int FeatureCount { get; }

    /// <summary>Whether the rows have example weights (else every weight read is 1).</summary>
    bool HasWeights { get; }

    /// <summary>What the rows are and where they come from, for messages (e.g. "column 'Features' of the streamed data view (BinaryLoader)").</summary>
    string Description { get; }

    /// <summary>Starts a pass over the rows from the first (opens a cursor); the caller disposes it.</summary>
    IRowReader Open();
}
