namespace GdTrainer.MLNet;

using System.Globalization;

/// <summary>
/// How many input rows training used and how many it left out, by reason (see
/// <see cref="GradientDescentTrainerOptions.InvalidRows"/>). A row with several problems is counted once,
/// under the first one found, checked in this order: label, example weight, features. Immutable.
/// </summary>
public sealed class TrainingRowCounts : IEquatable<TrainingRowCounts>
{
    /// <summary>Creates the counts.</summary>
    /// <param name="used">The rows training used.</param>
    /// <param name="nonFiniteLabel">The rows left out because their label was NaN or infinite.</param>
    /// <param name="invalidWeight">The rows left out because their example weight was NaN, infinite, zero or negative.</param>
    /// <param name="nonFiniteFeatures">The rows left out because a feature was NaN or infinite.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    public TrainingRowCounts(long used, long nonFiniteLabel, long invalidWeight, long nonFiniteFeatures)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(used);
        ArgumentOutOfRangeException.ThrowIfNegative(nonFiniteLabel);
        ArgumentOutOfRangeException.ThrowIfNegative(invalidWeight);
        ArgumentOutOfRangeException.ThrowIfNegative(nonFiniteFeatures);
        Used = used;
        NonFiniteLabel = nonFiniteLabel;
        InvalidWeight = invalidWeight;
        NonFiniteFeatures = nonFiniteFeatures;
    }

    /// <summary>The rows training used.</summary>
    public long Used { get; }

    /// <summary>The rows left out because their label was NaN or infinite (a missing value read from a file is NaN).</summary>
    public long NonFiniteLabel { get; }

    /// <summary>The rows left out because their example weight was NaN, infinite, zero or negative (label finite).</summary>
    public long InvalidWeight { get; }

    /// <summary>The rows left out because a feature was NaN or infinite (label and weight valid).</summary>
    public long NonFiniteFeatures { get; }

    /// <summary>All the rows left out: <c>NonFiniteLabel + InvalidWeight + NonFiniteFeatures</c>.</summary>
    public long Skipped => NonFiniteLabel + InvalidWeight + NonFiniteFeatures;

    /// <summary>All the rows read: <c>Used + Skipped</c>.</summary>
    public long Total => Used + Skipped;

    /// <inheritdoc/>
    public bool Equals(TrainingRowCounts? other) =>
        other is not null && Used == other.Used && NonFiniteLabel == other.NonFiniteLabel
        && InvalidWeight == other.InvalidWeight && NonFiniteFeatures == other.NonFiniteFeatures;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as TrainingRowCounts);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Used, NonFiniteLabel, InvalidWeight, NonFiniteFeatures);

    /// <summary>The counts in words, e.g. <c>"used 50 of 53 rows; skipped 1 with a NaN or infinite label, 0 with an invalid example weight, 2 with NaN or infinite features"</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"used {Used} of {Total} rows; skipped {SkippedReasons()}");

    /// <summary>The skipped rows by reason, e.g. <c>"1 with a NaN or infinite label, 0 with ..., 2 with ..."</c>.</summary>
    internal string SkippedReasons() => string.Create(CultureInfo.InvariantCulture,
        $"{NonFiniteLabel} with a NaN or infinite label, {InvalidWeight} with an example weight that is NaN, infinite, zero or negative, {NonFiniteFeatures} with NaN or infinite features");
}
