namespace GdTrainer.Training;

/// <summary>
/// The batches of one pass over a <see cref="TrainingSource"/> at one batch size, and the order in which an epoch visits
/// them. The loop asks for step 0, 1, ... of each pass in turn, uses each batch before it asks for the next, and ends the
/// pass with <see cref="EndPass"/> (through <see cref="OpenPass"/>'s scope, also when the pass stops early); a source decides
/// how a batch is made (a view over rows held in memory, or rows gathered as they stream by, into storage that the next
/// batch reuses).
/// </summary>
internal abstract class BatchPlan
{
    /// <summary>The rows per batch (the last batch may hold fewer).</summary>
    internal abstract int BatchSize { get; }

    /// <summary>The number of batches (optimizer steps) in one epoch.</summary>
    internal abstract int Count { get; }

    /// <summary>Puts the batches in a new random order for the next epoch, drawing from <paramref name="random"/>.</summary>
    internal abstract void ShuffleOrder(FastRandom random);

    /// <summary>
    /// The batch of step <paramref name="step"/> (from 0 to <see cref="Count"/> - 1) of the current order. Step 0 begins a pass;
    /// a streaming plan then serves the steps in order only, each batch valid until the next is asked.
    /// </summary>
    internal abstract TrainingBatch this[int step] { get; }

    /// <summary>
    /// Ends the current pass, whether it ran to its last step or stopped early (an error, a cancellation): a streaming plan
    /// closes its cursor here. Plans in memory hold nothing open.
    /// </summary>
    internal virtual void EndPass()
    {
    }

    /// <summary>A scope whose end ends the current pass (<c>using BatchPlan.PassScope pass = plan.OpenPass();</c> before step 0).</summary>
    internal PassScope OpenPass() => new(this);

    /// <summary>Ends its plan's pass when disposed.</summary>
    internal readonly struct PassScope(BatchPlan plan) : IDisposable
    {
        /// <summary>Ends the pass.</summary>
        public void Dispose() => plan.EndPass();
    }
}
