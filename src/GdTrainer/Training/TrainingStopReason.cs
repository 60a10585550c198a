namespace GdTrainer.Training;

/// <summary>Why a training run ended.</summary>
public enum TrainingStopReason
{
    /// <summary>It ran <c>NumberOfEpochs</c> epochs without meeting a stopping rule.</summary>
    EpochLimit,

    /// <summary>
    /// The training loss stopped improving: <c>Patience</c> epochs in a row without a relative improvement of
    /// <c>ConvergenceTolerance</c> (under the adaptive schedule, at the largest batch it tries).
    /// </summary>
    Converged,

    /// <summary>The cancellation token was cancelled after at least one complete epoch; the model is the one trained so far.</summary>
    Cancelled,

    /// <summary>
    /// The validation loss stopped improving for <see cref="EarlyStopping.Patience"/> epochs; the model has the weights of the
    /// best epoch when <see cref="EarlyStopping.RestoreBestWeights"/> is set.
    /// </summary>
    EarlyStopped,
}
