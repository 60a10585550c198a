namespace GdTrainer.Optimizers;

/// <summary>Whether <see cref="ReduceOnPlateauScheduler"/> watches a metric that should go down or up (PyTorch's <c>mode</c>).</summary>
public enum PlateauMode
{
    /// <summary>Lower is better (a loss); PyTorch <c>mode='min'</c>, the default.</summary>
    Min,

    /// <summary>Higher is better (an accuracy); PyTorch <c>mode='max'</c>.</summary>
    Max,
}
