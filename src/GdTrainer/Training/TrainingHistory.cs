namespace GdTrainer.Training;

using System.Globalization;

/// <summary>
/// What a training run did, epoch by epoch, and why it ended. Immutable.
/// </summary>
public sealed class TrainingHistory
{
    private readonly EpochReport[] _epochs;

    /// <summary>Creates a history from copies of the given reports.</summary>
    /// <param name="epochs">One report per epoch run, in order.</param>
    /// <param name="stopReason">Why training ended, or null when unknown (a model not trained here).</param>
    /// <param name="bestEpoch">The epoch whose weights the model has, when early stopping restored them; otherwise null.</param>
    public TrainingHistory(IEnumerable<EpochReport> epochs, TrainingStopReason? stopReason, int? bestEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        _epochs = [.. epochs];
        StopReason = stopReason;
        RestoredEpoch = bestEpoch;
    }

    /// <summary>An empty history (a model not trained here).</summary>
    public static TrainingHistory Empty { get; } = new([], null);

    /// <summary>One report per epoch run, in order.</summary>
    public IReadOnlyList<EpochReport> Epochs => _epochs;

    /// <summary>Why training ended; null for a model not trained here (or loaded from a file that does not record it).</summary>
    public TrainingStopReason? StopReason { get; }

    /// <summary>
    /// The epoch whose weights the model holds when early stopping restored the best epoch (its validation loss is the lowest
    /// of the history); null when the model holds the last epoch's weights.
    /// </summary>
    public int? RestoredEpoch { get; }

    /// <summary>The number of epochs run.</summary>
    public int EpochsRun => _epochs.Length;

    /// <summary>The training loss of each epoch.</summary>
    public float[] TrainingLosses()
    {
        var losses = new float[_epochs.Length];
        for (int i = 0; i < losses.Length; i++)
        {
            losses[i] = _epochs[i].TrainingLoss;
        }

        return losses;
    }

    /// <summary>The validation loss of each epoch (NaN for epochs without one).</summary>
    public float[] ValidationLosses()
    {
        var losses = new float[_epochs.Length];
        for (int i = 0; i < losses.Length; i++)
        {
            losses[i] = _epochs[i].ValidationLoss;
        }

        return losses;
    }

    /// <summary>A sentence on how training ended, e.g. "early-stopped at epoch 40, best epoch 30 restored".</summary>
    public override string ToString()
    {
        string stopped = StopReason switch
        {
            TrainingStopReason.Converged => string.Create(CultureInfo.InvariantCulture, $"converged at epoch {EpochsRun}"),
            TrainingStopReason.Cancelled => string.Create(CultureInfo.InvariantCulture, $"cancelled after epoch {EpochsRun}"),
            TrainingStopReason.EarlyStopped => string.Create(CultureInfo.InvariantCulture, $"early-stopped at epoch {EpochsRun}"),
            TrainingStopReason.EpochLimit => string.Create(CultureInfo.InvariantCulture, $"reached the epoch limit ({EpochsRun})"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{EpochsRun} epochs"),
        };

        // Early stopping restores the best epoch whatever ended the run (convergence, the limit, cancellation).
        return RestoredEpoch is { } best ? string.Create(CultureInfo.InvariantCulture, $"{stopped}, best epoch {best} restored") : stopped;
    }
}
