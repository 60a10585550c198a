namespace GdTrainer.Training;

/// <summary>
/// Receives what a training run logs, besides its <see cref="TrainerSettings.Logger"/>: the ML.NET trainers forward it to
/// <c>MLContext.Log</c>, whose messages are plain text rather than structured events.
/// </summary>
internal interface ITrainingObserver
{
    /// <summary>An epoch that is logged (the first, the last, and every <see cref="TrainerSettings.LossLoggingInterval"/>-th).</summary>
    void EpochLogged(EpochReport report, int lastEpoch);

    /// <summary>The adaptive schedule grew the batch at a plateau.</summary>
    void BatchGrown(int epoch, int previousBatchSize, int batchSize);

    /// <summary>The run ended; <paramref name="bestEpoch"/> is 0 without validation data.</summary>
    void Stopped(TrainingHistory history, float bestValidationLoss, int bestEpoch);
}
