namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Training;
using Microsoft.ML.Runtime;

/// <summary>Writes what a training run logs to an <c>MLContext.Log</c> channel, as the plain lines ML.NET's own trainers write.</summary>
internal sealed class ChannelObserver(IChannel channel) : ITrainingObserver
{
    public void EpochLogged(EpochReport report, int lastEpoch)
    {
        string validation = report.HasValidationLoss ? string.Create(CultureInfo.InvariantCulture, $", validation loss {report.ValidationLoss:G6}") : string.Empty;
        channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
            $"Epoch {report.Epoch}/{lastEpoch}: training loss {report.TrainingLoss:G6}{validation}, learning rate {report.LearningRate:G6}, elapsed {report.Elapsed.TotalMilliseconds:F1} ms"));
    }

    public void BatchGrown(int epoch, int previousBatchSize, int batchSize) =>
        channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
            $"GradientDescent: the loss reached a plateau at epoch {epoch}; the batch grows from {previousBatchSize} to {batchSize} rows"));

    public void Stopped(TrainingHistory history, float bestValidationLoss, int bestEpoch)
    {
        string best = bestEpoch == 0 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $", best validation loss {bestValidationLoss:G6} at epoch {bestEpoch}");
        channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
            $"GradientDescent {history}: training loss {history.Epochs[^1].TrainingLoss:G6}{best}"));
    }
}
