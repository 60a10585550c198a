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
    /// Any finite feature scale works (the moments are in double, the offsets and scales are floats and the fold back
    /// multiplies them out in double), except where a value's distance from the mean, or the inverse of a column's spread,
    /// is itself beyond float.
    /// </summary>
    /// <param name="mode">The standardisation.</param>
    /// <param name="means">Each feature's weighted mean.</param>
    /// <param name="variances">Each feature's weighted (population) variance.</param>
    /// <param name="minimum">Each feature's smallest value.</param>
    /// <param name="maximum">Each feature's largest value.</param>
    /// <param name="maximumMagnitude">The largest magnitude a standardised value may reach.</param>
    /// <param name="features">What the features are, for error messages (e.g. "the feature column 'Features'").</param>
    /// <exception cref="InvalidOperationException">
    /// A feature's values lie further apart than a float can hold, or vary on a scale whose inverse is beyond float;
    /// the message names the slots, their range and what to do.
    /// </exception>
    internal static FeatureTransform? Create(
        FeatureStandardization mode, ReadOnlySpan<double> means, ReadOnlySpan<double> variances, ReadOnlySpan<float> minimum, ReadOnlySpan<float> maximum,
        double maximumMagnitude, string features) => Create(mode, means, variances, minimum, maximum, maximumMagnitude, features, offsets: null);

    /// <summary>
    /// The presence (share of rows in which a sparse column is non-zero) from which a column of sparse rows is centred: columns
    /// this common carry almost all of the rows' mean (a column's standardised mean is <c>sqrt(p / (1 - p))</c> for presence p),
    /// and left uncentred that mean is one direction of very high curvature, shared by every row, that caps the learning rate
    /// (on 20,000 generated reviews its eigenvalue was 436 against a few for the rest).
    /// </summary>
    internal const double SparseCentringPresence = 0.01;

    /// <summary>
    /// The transform for sparse rows. <see cref="FeatureStandardization.CenterAndScale"/> divides each column by its standard
    /// deviation (capped as the dense transform's, the cap measured from the offset), and centres only the columns present in at
    /// least <see cref="SparseCentringPresence"/> of the rows: a sparse source keeps its zeros and subtracts those few columns'
    /// means inside the product (<see cref="TrainingSource.Standardize"/>), so a step costs the non-zeros plus the centred columns;
    /// rarer columns' means are near 0. <see cref="FeatureStandardization.Center"/> centres those columns without scaling;
    /// <see cref="FeatureStandardization.None"/> leaves the rows alone (null).
    /// </summary>
    /// <exception cref="InvalidOperationException">A column's scale is beyond float (see the dense overload).</exception>
    internal static FeatureTransform? CreateForSparse(
        FeatureStandardization mode, FeatureStatistics statistics, double maximumMagnitude, string features)
    {
        if (mode == FeatureStandardization.None)
        {
            return null;
        }

        double[] presence = statistics.Presence ?? throw new ArgumentException("Sparse statistics carry each column's presence.", nameof(statistics));
        var centred = new double[presence.Length];
        for (int j = 0; j < presence.Length; j++)
        {
            centred[j] = presence[j] >= SparseCentringPresence ? statistics.Means[j] : 0;
        }

        return Create(mode, statistics.Means, statistics.Variances, statistics.Minimum, statistics.Maximum, maximumMagnitude, features, centred);
    }

    // offsets: the values to subtract from each column, or null for the means.
    private static FeatureTransform? Create(
        FeatureStandardization mode, ReadOnlySpan<double> means, ReadOnlySpan<double> variances, ReadOnlySpan<float> minimum, ReadOnlySpan<float> maximum,
        double maximumMagnitude, string features, double[]? offsets)
    {
        if (mode == FeatureStandardization.None)
        {
            return null;
        }

        var centres = new float[means.Length];
        var scales = new float[means.Length];
        List<int>? unrepresentable = null;
        for (int j = 0; j < means.Length; j++)
        {
            double offset = offsets?[j] ?? means[j];
            centres[j] = (float)offset;
            double variance = variances[j];
            bool constant = !(variance > 1e-12 * means[j] * means[j]);
            double spread = Math.Max(maximum[j] - offset, offset - minimum[j]);
            double scale = mode == FeatureStandardization.CenterAndScale && !constant ? Math.Min(1 / Math.Sqrt(variance), maximumMagnitude / spread) : 1;
            if (spread > float.MaxValue || !(scale <= float.MaxValue))
            {
                (unrepresentable ??= []).Add(j);
            }

            scales[j] = (float)scale;
        }

        if (unrepresentable is not null)
        {
            int first = unrepresentable[0];
            string slots = string.Join(", ", unrepresentable.Take(5)) + (unrepresentable.Count > 5 ? $" and {unrepresentable.Count - 5} more" : "");
            throw new InvalidOperationException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"GradientDescent cannot standardise slot{(unrepresentable.Count > 1 ? "s" : "")} {slots} of {features}: slot {first} ranges from {minimum[first]:G3} to {maximum[first]:G3} (mean {means[first]:G3}, standard deviation {Math.Sqrt(variances[first]):G3}), " +
                $"so its distance from the mean or the inverse of its spread is beyond float's range (about 1e-38 to 3.4e38). Rescale that feature into a moderate range first " +
                $"(mlContext.Transforms.NormalizeMeanVariance or NormalizeMinMax in front of the trainer, or a change of unit), or remove it."));
        }

        return new FeatureTransform(centres, scales);
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
