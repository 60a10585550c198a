namespace GdTrainer.Training;

/// <summary>
/// The batches of one pass over a <see cref="TrainingSource"/> at one batch size, and the order in which an epoch visits
/// them. The loop asks for step 0, 1, ... of each epoch in turn; a source decides how a batch is made (a view over rows
/// held in memory, or rows gathered as they stream by).
/// </summary>
internal abstract class BatchPlan
{
    /// <summary>The rows per batch (the last batch may hold fewer).</summary>
    internal abstract int BatchSize { get; }

    /// <summary>The number of batches (optimizer steps) in one epoch.</summary>
    internal abstract int Count { get; }

    /// <summary>Puts the batches in a new random order for the next epoch, drawing from <paramref name="random"/>.</summary>
    internal abstract void ShuffleOrder(FastRandom random);

    /// <summary>The batch of step <paramref name="step"/> (from 0 to <see cref="Count"/> - 1) of the current order.</summary>
    internal abstract TrainingBatch this[int step] { get; }
}
