namespace GdTrainer.MLNet;

using System.Numerics.Tensors;
using Microsoft.ML.Data;

/// <summary>
/// The scoring formula of the first release's saved linear carrier (<see cref="LinearScoreFactory"/>, kept so that its files still score as they did;
/// the in-memory transformer computes the same bits through <see cref="GdTrainer.Models.InferenceNetwork"/>), so that both
/// give bit-identical scores: <c>bias + dot(features, weights)</c>, with sparse vectors summed over
/// their explicit entries only (the implicit ones are zero).
/// </summary>
internal static class LinearScorer
{
    internal static float Score(in VBuffer<float> features, ReadOnlySpan<float> weights, float bias)
    {
        if (features.Length != weights.Length)
        {
            throw new InvalidOperationException(
                $"The feature vector has {features.Length} elements but the model was trained on {weights.Length} features.");
        }

        ReadOnlySpan<float> values = features.GetValues();
        if (features.IsDense)
        {
            return TensorPrimitives.Dot(values, weights) + bias;
        }

        ReadOnlySpan<int> indices = features.GetIndices();
        float sum = 0f;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i] * weights[indices[i]];
        }

        return sum + bias;
    }
}
