namespace GdTrainer.MLNet;

using Microsoft.Extensions.Logging;

/// <summary>
/// The ML.NET trainers' own structured log events, beside the training loop's (<see cref="GdTrainer.Training.TrainingLog"/>,
/// events 1, 2, 4, 5, 6), source-generated and allocation-free when the level is off.
/// </summary>
internal static partial class TrainerLog
{
    [LoggerMessage(EventId = 3, EventName = "RowsSkipped", Level = LogLevel.Warning,
        Message = "GradientDescent skipped {Skipped} of {Total} rows: {NonFiniteLabel} with a NaN or infinite label, {InvalidWeight} with an example weight that is NaN, infinite, zero or negative, {NonFiniteFeatures} with NaN or infinite features (counts in model.Model.RowCounts; set Options.InvalidRows = Error to fail instead)")]
    internal static partial void RowsSkipped(ILogger logger, long skipped, long total, long nonFiniteLabel, long invalidWeight, long nonFiniteFeatures);

    [LoggerMessage(EventId = 7, EventName = "ResolvedOptions", Level = LogLevel.Debug,
        Message = "GradientDescent resolved its options: {Options}")]
    internal static partial void ResolvedOptions(ILogger logger, string options);

    [LoggerMessage(EventId = 8, EventName = "DataPlacement", Level = LogLevel.Information,
        Message = "{Placement}")]
    internal static partial void DataPlacement(ILogger logger, string placement);
}
