namespace GdTrainer.Training;

using Microsoft.Extensions.Logging;

/// <summary>
/// The training loop's structured log events (source-generated, allocation-free when the level is off). The event ids are
/// shared with the ML.NET trainers, which add their own (3, <c>RowsSkipped</c>; 7, <c>ResolvedOptions</c>).
/// </summary>
internal static partial class TrainingLog
{
    [LoggerMessage(EventId = 1, EventName = "TrainingStarted", Level = LogLevel.Information,
        Message = "GradientDescent: training {Model} on {Rows} rows x {Features} features ({ValidationRows} validation rows) for at most {Epochs} epochs, batch size {BatchSize}, {Optimizer} at learning rate {LearningRate}, loss {Loss}")]
    internal static partial void TrainingStarted(ILogger logger, string model, int rows, int features, int validationRows, int epochs, int batchSize, string optimizer, float learningRate, string loss);

    [LoggerMessage(EventId = 2, EventName = "EpochCompleted", Level = LogLevel.Information,
        Message = "Epoch {Epoch}/{Epochs}: training loss {Loss}, validation loss {ValidationLoss}, learning rate {LearningRate}, elapsed {Elapsed}")]
    internal static partial void EpochCompleted(ILogger logger, int epoch, int epochs, float loss, float validationLoss, float learningRate, TimeSpan elapsed);

    [LoggerMessage(EventId = 4, EventName = "TrainingStopped", Level = LogLevel.Information,
        Message = "GradientDescent {Reason}: {EpochsRun} epochs, final training loss {Loss}")]
    internal static partial void TrainingStopped(ILogger logger, string reason, int epochsRun, float loss);

    [LoggerMessage(EventId = 5, EventName = "BatchSizeGrown", Level = LogLevel.Information,
        Message = "GradientDescent: the loss reached a plateau at epoch {Epoch}; the batch grows from {PreviousBatchSize} to {BatchSize} rows")]
    internal static partial void BatchSizeGrown(ILogger logger, int epoch, int previousBatchSize, int batchSize);

    [LoggerMessage(EventId = 6, EventName = "EarlyStopped", Level = LogLevel.Information,
        Message = "GradientDescent stopped early at epoch {Epoch}: the validation loss has not improved for {Patience} epochs; best epoch {BestEpoch} with validation loss {BestValidationLoss}{Restored}")]
    internal static partial void EarlyStopped(ILogger logger, int epoch, int patience, int bestEpoch, float bestValidationLoss, string restored);
}
