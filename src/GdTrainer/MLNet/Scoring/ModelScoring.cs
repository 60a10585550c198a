namespace GdTrainer.MLNet;

using Microsoft.ML.Data;

/// <summary>
/// Scores one ML.NET feature vector with a fitted model: dense vectors directly, sparse ones through their explicit entries
/// (the first layer sums only over those; the implicit entries are zero). Shared by the in-memory transformer and the
/// saved carrier, so that both give bit-identical scores.
/// </summary>
internal static class ModelScoring
{
    /// <exception cref="InvalidOperationException">The vector's length is not the model's number of features.</exception>
    internal static void Score(GradientDescentModelParameters model, in VBuffer<float> features, Span<float> output)
    {
        if (features.Length != model.FeatureCount)
        {
            throw new InvalidOperationException(
                $"The feature vector has {features.Length} elements but the model was trained on {model.FeatureCount} features.");
        }

        if (features.IsDense)
        {
            model.Score(features.GetValues(), output);
        }
        else
        {
            model.ScoreSparse(features.GetIndices(), features.GetValues(), output);
        }
    }
}
