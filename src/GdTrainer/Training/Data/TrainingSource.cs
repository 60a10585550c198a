namespace GdTrainer.Training;

using System.Globalization;
using GdTrainer.Autograd;

/// <summary>
/// The rows a <see cref="ModuleTrainer"/> trains on: features, labels and optional example weights, from which the loop
/// draws shuffled mini-batches by seed. Create one from arrays or tensors with <see cref="FromArrays"/> or
/// <see cref="FromTensors"/> (the rows are copied once into one contiguous store); the ML.NET trainers create theirs from an
/// <c>IDataView</c>. Statistics of the rows (means, variances, ranges, the label's scale) are computed while they are read.
/// </summary>
/// <remarks>
/// Training puts the rows in a random order in place (one copy of the data, never two); a source built from arrays or
/// tensors remembers how, and restores its original order before it is shuffled again, so that fitting the same source
/// twice with the same seed gives the same model. The ML.NET trainers may instead stream rows that do not fit their memory
/// budget from the <c>IDataView</c> on every epoch, through a seeded shuffle buffer (<see cref="StreamingTrainingSource"/>).
/// A source is not thread-safe: train on it from one thread at a time.
/// </remarks>
public abstract class TrainingSource
{
    /// <summary>Only the library's own sources derive from this class.</summary>
    private protected TrainingSource()
    {
    }

    /// <summary>The number of features of every row.</summary>
    public abstract int FeatureCount { get; }

    /// <summary>The number of rows.</summary>
    public abstract int RowCount { get; }

    /// <summary>The sum of the rows' example weights (the number of rows when there are no weights).</summary>
    public abstract double TotalWeight { get; }

    /// <summary>Whether the rows have example weights.</summary>
    public abstract bool HasWeights { get; }

    /// <summary>What the rows are, for messages (e.g. "the feature column 'Features'" or "the training arrays").</summary>
    internal abstract string Description { get; }

    /// <summary>The statistics of every row read, those later held out for validation included.</summary>
    internal abstract FeatureStatistics Statistics { get; }

    /// <summary>
    /// Puts the rows in the random order drawn from <paramref name="random"/>: sources in memory permute their rows in place
    /// (Fisher-Yates over rows); a stream cannot, and draws from it the seeds of its hold-out rule and of its epochs' shuffle buffer.
    /// </summary>
    internal abstract void Shuffle(FastRandom random);

    /// <summary>
    /// Holds <paramref name="count"/> rows (at least 1, fewer than <see cref="RowCount"/>) out as a validation source, chosen at
    /// random by the last <see cref="Shuffle"/>: sources in memory hold out the last rows of their shuffled order; a stream holds
    /// out a seeded random subset of exactly that many rows, drawn again identically on every pass. Both sources share this
    /// source's storage and its <see cref="Statistics"/> (of all the rows read).
    /// </summary>
    internal abstract (TrainingSource Kept, TrainingSource HeldOut) HoldOut(int count);

    /// <summary>Applies <paramref name="transform"/> to every row, in place (no later than the next pass over the rows).</summary>
    internal abstract void Standardize(FeatureTransform transform);

    /// <summary>The batches of <paramref name="batchSize"/> rows (at most <see cref="RowCount"/>) in row order.</summary>
    internal abstract BatchPlan Plan(int batchSize);

    /// <summary>The curvature of the mean squared error of a linear model on these rows as trained (see <see cref="LearningRateEstimate"/>).</summary>
    internal abstract LinearCurvature EstimateLinearCurvature();

    /// <summary>
    /// A source over copies of <paramref name="features"/> (one array per row, all of the same length), <paramref name="labels"/>
    /// (the regression target, the binary target 0/1, or the class index for a cross-entropy loss) and optional positive
    /// <paramref name="weights"/>.
    /// </summary>
    /// <param name="features">One array of features per row; at least one row and one feature.</param>
    /// <param name="labels">One label per row.</param>
    /// <param name="weights">One positive, finite example weight per row, or null to weigh every row 1.</param>
    /// <exception cref="ArgumentException">The arrays' lengths differ, or a value is NaN or infinite, or a weight is not positive (the message names the row).</exception>
    public static TrainingSource FromArrays(float[][] features, float[] labels, float[]? weights = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.Length == 0 || features[0] is null || features[0].Length == 0)
        {
            throw new ArgumentException("The training arrays need at least one row of at least one feature.", nameof(features));
        }

        CheckLengths(features.Length, labels.Length, weights?.Length);
        var builder = new DenseTrainingSource.Builder(features[0].Length, weights is not null, features.Length, "the training arrays", keepsOriginalOrder: true);
        for (int i = 0; i < features.Length; i++)
        {
            if (features[i]?.Length != builder.FeatureCount)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Row {i} has {features[i]?.Length ?? 0} features, but row 0 has {builder.FeatureCount}: every row needs the same number."), nameof(features));
            }

            AddChecked(builder, features[i], labels[i], weights?[i] ?? 1f, i);
        }

        return builder.Build();
    }

    /// <summary>
    /// A source over copies of a <c>[n, d]</c> feature tensor, <c>[n]</c> labels (see <see cref="FromArrays"/>) and optional
    /// <c>[n]</c> positive example weights.
    /// </summary>
    /// <param name="features">The features, <c>[n, d]</c> with n, d &gt;= 1.</param>
    /// <param name="labels">The labels, <c>[n]</c>.</param>
    /// <param name="weights">The example weights, <c>[n]</c>, or null.</param>
    /// <exception cref="ArgumentException">A shape does not fit (the message names both), or a value is NaN or infinite, or a weight is not positive.</exception>
    public static TrainingSource FromTensors(Tensor<float> features, Tensor<float> labels, Tensor<float>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.Rank != 2 || features.Shape[0] == 0 || features.Shape[1] == 0)
        {
            throw new ArgumentException($"The features must be a [n, d] tensor with n, d >= 1, but have shape [{string.Join(", ", features.Shape.ToArray())}].", nameof(features));
        }

        if (labels.Rank != 1 || (weights is not null && weights.Rank != 1))
        {
            throw new ArgumentException("The labels and the example weights must be [n] tensors, one value per row.", labels.Rank != 1 ? nameof(labels) : nameof(weights));
        }

        int rows = features.Shape[0];
        int d = features.Shape[1];
        CheckLengths(rows, labels.Shape[0], weights?.Shape[0]);
        var builder = new DenseTrainingSource.Builder(d, weights is not null, rows, "the training tensors", keepsOriginalOrder: true);
        ReadOnlySpan<float> x = features.Data;
        ReadOnlySpan<float> y = labels.Data;
        ReadOnlySpan<float> w = weights is null ? default : weights.Data;
        for (int i = 0; i < rows; i++)
        {
            AddChecked(builder, x.Slice(i * d, d), y[i], w.IsEmpty ? 1f : w[i], i);
        }

        return builder.Build();
    }

    private static void CheckLengths(int rows, int labels, int? weights)
    {
        if (labels != rows || (weights is { } count && count != rows))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"There are {rows} rows of features, {labels} labels{(weights is { } w ? $" and {w} example weights" : "")}: give one of each per row."));
        }
    }

    private static void AddChecked(DenseTrainingSource.Builder builder, ReadOnlySpan<float> row, float label, float weight, int index)
    {
        if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(row) || !float.IsFinite(label))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Row {index} holds a NaN or infinite {(float.IsFinite(label) ? "feature" : "label")}: replace or remove missing values before training."));
        }

        if (!(weight > 0f) || !float.IsFinite(weight))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Row {index} has the example weight {weight}: weights must be positive and finite."));
        }

        row.CopyTo(builder.NextRow());
        builder.Commit(label, weight);
    }
}
