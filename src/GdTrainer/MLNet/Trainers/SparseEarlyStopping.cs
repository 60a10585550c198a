namespace GdTrainer.MLNet;

using GdTrainer.Training;

/// <summary>
/// The default stopping rule for sparse, wide feature columns (more than 1,024 slots, stored as their non-zeros: text
/// features, one-hot encodings of many categories) when the options set no validation and no early stopping: hold out
/// <see cref="ValidationFraction"/> of the rows and stop when their loss has not improved by <see cref="MinRelativeDelta"/> of
/// itself, nor (under the classification tasks' own losses) by <see cref="MinUninformedDelta"/> of <c>ln k</c> for k classes,
/// for <see cref="Patience"/> epochs, keeping the best epoch's weights.
/// </summary>
/// <remarks>
/// Such rows are nearly separable (hundreds of thousands of n-grams for a few thousand documents), so the training loss keeps
/// falling for hundreds of epochs after the held-out loss has turned: on 20,000 generated reviews the linear model's training
/// loss fell from 0.16 to 0.0008 between epochs 10 and 1,000 while the held-out log-loss rose from 0.61 to 0.68 (and the
/// convergence rule never fired); held-out rows stop it at epoch 21 with the held-out log-loss at 0.62 and AUC 0.883, against
/// SDCA's 0.689 and 0.855 (docs/benchmarks.md). Some held-out losses keep creeping down for hundreds of epochs instead (six
/// generated topics: from 0.48 at epoch 50 to 0.30 at epoch 1,000), so an improvement must be at least 1% of the loss to count:
/// the topics then stop at epoch 60 with SDCA's log-loss and a higher macro accuracy. A relative step alone never ends a loss
/// that approaches 0 (separable mail: 81 epochs for the linear model, 174 for an MLP [64], each still shaving 1% off a held-out
/// log-loss near 0.01), so a classifier's improvement must also be 1% of <c>ln k</c>, the log-loss of predicting every class
/// with equal probability, where training starts: spamassassin then stops at 17 and 19 epochs (the MLP's fit from 40 s to
/// 5 s, AUC 1.0000 as before), the six topics at 12 instead of 49 (macro accuracy 0.977 against SDCA's 0.961), the generated
/// reviews at 12 instead of 14 (docs/benchmarks.md). Dense columns keep the training-loss rule, which reaches the optimum there.
/// </remarks>
internal static class SparseEarlyStopping
{
    /// <summary>The share of the training rows held out: 10%.</summary>
    internal const float ValidationFraction = 0.1f;

    /// <summary>Epochs without an improvement of the held-out loss before training stops: 3.</summary>
    internal const int Patience = 3;

    /// <summary>The smallest improvement of the held-out loss that counts, as a fraction of its best: 1%.</summary>
    internal const float MinRelativeDelta = 0.01f;

    /// <summary>The smallest improvement of a classifier's held-out log-loss that counts, as a fraction of <c>ln k</c>: 1%.</summary>
    internal const float MinUninformedDelta = 0.01f;

    /// <summary>The rule for a task with <paramref name="classes"/> classes under its own log-loss, or for another loss (null).</summary>
    internal static EarlyStopping Create(int? classes) => new()
    {
        Patience = Patience,
        MinRelativeDelta = MinRelativeDelta,
        MinDelta = classes is { } k ? (float)(MinUninformedDelta * Math.Log(Math.Max(k, 2))) : 0f,
    };
}
