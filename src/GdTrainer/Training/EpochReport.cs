namespace GdTrainer.Training;

/// <summary>What one epoch of training did: an entry of the trained model's history and of an <see cref="IProgress{T}"/> report.</summary>
/// <param name="Epoch">The epoch's number, from 1.</param>
/// <param name="TrainingLoss">The (example-weighted) mean training loss of the epoch, without any L2 penalty.</param>
/// <param name="ValidationLoss">The mean loss on the validation data after the epoch, or NaN when there is none.</param>
/// <param name="LearningRate">The learning rate of the epoch's last step.</param>
/// <param name="BatchSize">The rows per step during the epoch.</param>
/// <param name="Elapsed">The time since training started (after the data was read), at the end of the epoch.</param>
public sealed record EpochReport(int Epoch, float TrainingLoss, float ValidationLoss, float LearningRate, int BatchSize, TimeSpan Elapsed)
{
    /// <summary>Whether the epoch has a validation loss.</summary>
    public bool HasValidationLoss => !float.IsNaN(ValidationLoss);
}
