namespace GdTrainer.MLNet;

using Microsoft.Extensions.Logging;

/// <summary>The trainer's structured log events (source-generated, allocation-free when the level is off).</summary>
internal static partial class TrainerLog
{
    [LoggerMessage(EventId = 1, EventName = "TrainingStarted", Level = LogLevel.Information,
        Message = "GradientDescent: training on {Rows} rows x {Features} features for {Epochs} epochs, batch size {BatchSize}, learning rate {LearningRate}")]
    internal static partial void TrainingStarted(ILogger logger, int rows, int features, int epochs, int batchSize, float learningRate);

    [LoggerMessage(EventId = 2, EventName = "EpochCompleted", Level = LogLevel.Information,
        Message = "Epoch {Epoch}/{Epochs}: training loss {Loss}, learning rate {LearningRate}, elapsed {Elapsed}")]
    internal static partial void EpochCompleted(ILogger logger, int epoch, int epochs, float loss, float learningRate, TimeSpan elapsed);

    [LoggerMessage(EventId = 3, EventName = "RowsSkipped", Level = LogLevel.Warning,
        Message = "GradientDescent skipped {Skipped} of {Total} rows: {NonFiniteLabel} with a NaN or infinite label, {InvalidWeight} with an example weight that is NaN, infinite, zero or negative, {NonFiniteFeatures} with NaN or infinite features (counts in model.Model.RowCounts; set Options.InvalidRows = Error to fail instead)")]
    internal static partial void RowsSkipped(ILogger logger, long skipped, long total, long nonFiniteLabel, long invalidWeight, long nonFiniteFeatures);

    [LoggerMessage(EventId = 4, EventName = "TrainingStopped", Level = LogLevel.Information,
        Message = "GradientDescent {Reason}: {EpochsRun} epochs, final training loss {Loss}")]
    internal static partial void TrainingStopped(ILogger logger, string reason, int epochsRun, float loss);

    [LoggerMessage(EventId = 5, EventName = "BatchSizeGrown", Level = LogLevel.Information,
        Message = "GradientDescent: the loss reached a plateau at epoch {Epoch}; the batch grows from {PreviousBatchSize} to {BatchSize} rows")]
    internal static partial void BatchSizeGrown(ILogger logger, int epoch, int previousBatchSize, int batchSize);
}
