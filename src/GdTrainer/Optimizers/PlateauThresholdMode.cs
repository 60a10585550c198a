namespace GdTrainer.Optimizers;

/// <summary>How <see cref="ReduceOnPlateauScheduler"/> decides that a metric improved on the best so far (PyTorch's <c>threshold_mode</c>).</summary>
public enum PlateauThresholdMode
{
    /// <summary>By a fraction of the best: <c>metric &lt; best·(1 − threshold)</c> in <see cref="PlateauMode.Min"/>, <c>metric &gt; best·(1 + threshold)</c> in <see cref="PlateauMode.Max"/>; PyTorch <c>'rel'</c>, the default.</summary>
    Relative,

    /// <summary>By an amount: <c>metric &lt; best − threshold</c> in <see cref="PlateauMode.Min"/>, <c>metric &gt; best + threshold</c> in <see cref="PlateauMode.Max"/>; PyTorch <c>'abs'</c>.</summary>
    Absolute,
}
