namespace GdTrainer.Training;

using System.Numerics.Tensors;

/// <summary>
/// The affine map a trainer applies to every feature row before training, <c>x' = (x - Offsets) * Scales</c>,
/// and its fold back into a linear layer: a model <c>b' + w' . x'</c> on the transformed features is the model
/// <c>b + w . x</c> on the raw features with <c>w = w' * Scales</c> and <c>b = b' - w . Offsets</c>.
/// </summary>
internal sealed class FeatureTransform
{
    internal FeatureTransform(float[] offsets, float[] scales)
    {
        Offsets = offsets;
        Scales = scales;
    }

    /// <summary>Subtracted from each feature.</summary>
    internal float[] Offsets { get; }

    /// <summary>Each centred feature is multiplied by this (1 where the feature is only centred).</summary>
    internal float[] Scales { get; }

    /// <summary>
    /// The transform for <paramref name="mode"/> from each feature's weighted mean, variance and range. A variance
    /// that is zero, or below 1e-12 of the squared mean (constant up to float rounding), leaves the column unscaled.
    /// The scale is capped so that no value lands further than <paramref name="maximumMagnitude"/> from 0: dividing a
    /// rare one-hot column (a category in 1 row of 10,000) by its standard deviation would turn its one 1 into 100,
    /// and the mini-batch holding that row would then need a learning rate 10,000 times smaller to stay stable.
    /// </summary>
    internal static FeatureTransform? Create(
        FeatureStandardization mode, ReadOnlySpan<double> means, ReadOnlySpan<double> variances, ReadOnlySpan<float> minimum, ReadOnlySpan<float> maximum,
        double maximumMagnitude)
    {
        if (mode == FeatureStandardization.None)
        {
            return null;
        }

        var offsets = new float[means.Length];
        var scales = new float[means.Length];
        for (int j = 0; j < means.Length; j++)
        {
            offsets[j] = (float)means[j];
            double variance = variances[j];
            bool constant = !(variance > 1e-12 * Math.Max(means[j] * means[j], 1e-30));
            double spread = Math.Max(maximum[j] - means[j], means[j] - minimum[j]);
            scales[j] = mode == FeatureStandardization.CenterAndScale && !constant ? (float)Math.Min(1 / Math.Sqrt(variance), maximumMagnitude / spread) : 1f;
        }

        return new FeatureTransform(offsets, scales);
    }

    /// <summary>Writes <c>(row - Offsets) * Scales</c> into <paramref name="destination"/> (which may be <paramref name="row"/>).</summary>
    internal void Apply(ReadOnlySpan<float> row, Span<float> destination)
    {
        TensorPrimitives.Subtract(row, Offsets, destination);
        TensorPrimitives.Multiply(destination, Scales, destination);
    }

    /// <summary>Folds the transform into weights trained on transformed features: returns the bias for raw features and rescales <paramref name="weights"/> in place.</summary>
    internal float FoldInto(Span<float> weights, float bias)
    {
        TensorPrimitives.Multiply(weights, Scales, weights);
        double shift = 0;
        for (int j = 0; j < weights.Length; j++)
        {
            shift += (double)weights[j] * Offsets[j];
        }

        return (float)(bias - shift);
    }
}
