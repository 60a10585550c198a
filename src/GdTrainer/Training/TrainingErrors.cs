namespace GdTrainer.Training;

using System.Globalization;

/// <summary>The trainer's errors that end a run, worded once so that every place that detects them says the same.</summary>
internal static class TrainingErrors
{
    /// <summary>Training diverged in <paramref name="epoch"/>: <paramref name="what"/> says how it showed.</summary>
    internal static InvalidOperationException Diverged(int epoch, string what, float learningRate, float l2Regularization = 0f)
    {
        string rate = learningRate.ToString("G6", CultureInfo.InvariantCulture);
        string cause = l2Regularization * learningRate > 2f
            ? $" The L2 penalty is the cause: each step multiplies the weights by 1 - LearningRate * L2Regularization = {(1 - (learningRate * l2Regularization)).ToString("G4", CultureInfo.InvariantCulture)}, " +
              $"whose magnitude must stay below 1 (LearningRate * L2Regularization below 2, less with the data's own curvature); lower L2Regularization (it is {l2Regularization.ToString("G6", CultureInfo.InvariantCulture)}) or the learning rate."
            : " Use a smaller learning rate (leave LearningRate unset to have it derived from the data), or keep FeatureStandardization = CenterAndScale so that features with large values are standardised.";
        return new InvalidOperationException(
            $"Training diverged in epoch {epoch} at learning rate {rate}: {what}.{cause}");
    }
}
