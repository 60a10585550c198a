namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The training columns read once from an <see cref="IDataView"/> into contiguous buffers: features
/// row-major (<see cref="RowCount"/> x <see cref="FeatureCount"/>), labels, and example weights when a
/// weight column is used. Rows with a NaN or infinite value, or a weight that is not positive, are left out and counted.
/// </summary>
internal sealed class TrainingData
{
    private TrainingData(float[] features, float[] labels, float[]? weights, int rowCount, int featureCount, long skipped)
    {
        Features = features;
        Labels = labels;
        Weights = weights;
        RowCount = rowCount;
        FeatureCount = featureCount;
        SkippedRows = skipped;
    }

    /// <summary>Row-major features; only the first <c>RowCount * FeatureCount</c> elements are used.</summary>
    internal float[] Features { get; }

    /// <summary>Labels; only the first <see cref="RowCount"/> elements are used.</summary>
    internal float[] Labels { get; }

    /// <summary>Example weights, or null when no weight column is used.</summary>
    internal float[]? Weights { get; }

    internal int RowCount { get; }

    internal int FeatureCount { get; }

    /// <summary>The rows left out because of non-finite values or non-positive weights.</summary>
    internal long SkippedRows { get; }

    /// <summary>
    /// A copy with the rows in a random order drawn from <paramref name="random"/> (Fisher-Yates), so
    /// that contiguous mini-batches are random samples even when the source is sorted.
    /// </summary>
    internal TrainingData Permuted(Random random)
    {
        int d = FeatureCount;
        var order = new int[RowCount];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        random.Shuffle(order);
        var features = new float[RowCount * d];
        var labels = new float[RowCount];
        float[]? weights = Weights is null ? null : new float[RowCount];
        for (int i = 0; i < order.Length; i++)
        {
            int row = order[i];
            Features.AsSpan(row * d, d).CopyTo(features.AsSpan(i * d, d));
            labels[i] = Labels[row];
            if (weights is not null)
            {
                weights[i] = Weights![row];
            }
        }

        return new TrainingData(features, labels, weights, RowCount, d, SkippedRows);
    }

    /// <summary>
    /// Subtracts each feature's mean (over the usable rows) from the buffer in place and returns the
    /// means, so that a model trained on the centred features can be turned back into one for the raw
    /// features by moving <c>w . means</c> into the bias.
    /// </summary>
    internal float[] CenterFeatures()
    {
        int d = FeatureCount;
        var sums = new double[d];
        for (int row = 0; row < RowCount; row++)
        {
            ReadOnlySpan<float> values = Features.AsSpan(row * d, d);
            for (int j = 0; j < d; j++)
            {
                sums[j] += values[j];
            }
        }

        var means = new float[d];
        for (int j = 0; j < d; j++)
        {
            means[j] = (float)(sums[j] / RowCount);
        }

        for (int row = 0; row < RowCount; row++)
        {
            Span<float> values = Features.AsSpan(row * d, d);
            System.Numerics.Tensors.TensorPrimitives.Subtract(values, means, values);
        }

        return means;
    }

    /// <summary>Reads the columns with one cursor pass.</summary>
    /// <exception cref="InvalidOperationException">The data has more rows than one array can hold.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    internal static TrainingData Read(
        IDataView data, DataViewSchema.Column featureColumn, int featureCount, DataViewSchema.Column labelColumn,
        DataViewSchema.Column? weightColumn, CancellationToken cancellationToken)
    {
        long? knownRows = data.GetRowCount();
        int capacity = (int)Math.Clamp(knownRows ?? 1024, 1, int.MaxValue / Math.Max(featureCount, 1));
        var features = new float[(long)capacity * featureCount];
        var labels = new float[capacity];
        float[]? weights = weightColumn is null ? null : new float[capacity];

        var columns = new List<DataViewSchema.Column> { featureColumn, labelColumn };
        if (weightColumn is { } w)
        {
            columns.Add(w);
        }

        using DataViewRowCursor cursor = data.GetRowCursor(columns);
        bool scalarFeature = featureColumn.Type is not VectorDataViewType;
        ValueGetter<VBuffer<float>>? vectorGetter = scalarFeature ? null : cursor.GetGetter<VBuffer<float>>(featureColumn);
        ValueGetter<float>? scalarGetter = scalarFeature ? cursor.GetGetter<float>(featureColumn) : null;
        ValueGetter<float> labelGetter = cursor.GetGetter<float>(labelColumn);
        ValueGetter<float>? weightGetter = weightColumn is { } wc ? cursor.GetGetter<float>(wc) : null;

        VBuffer<float> vector = default;
        float label = 0f;
        float weight = 1f;
        float scalar = 0f;
        int rows = 0;
        long skipped = 0;
        long seen = 0;
        while (cursor.MoveNext())
        {
            if ((++seen & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            labelGetter(ref label);
            weightGetter?.Invoke(ref weight);
            if (!float.IsFinite(label) || !float.IsFinite(weight) || weight <= 0f)
            {
                skipped++;
                continue;
            }

            if (rows == labels.Length)
            {
                int grown = (int)Math.Min((long)labels.Length * 2, int.MaxValue / Math.Max(featureCount, 1));
                if (grown == labels.Length)
                {
                    throw new InvalidOperationException($"GradientDescent can hold at most {labels.Length} rows of {featureCount} features in memory.");
                }

                Array.Resize(ref features, grown * featureCount);
                Array.Resize(ref labels, grown);
                if (weights is not null)
                {
                    Array.Resize(ref weights, grown);
                }
            }

            Span<float> row = features.AsSpan(rows * featureCount, featureCount);
            if (scalarFeature)
            {
                scalarGetter!(ref scalar);
                row[0] = scalar;
            }
            else
            {
                vectorGetter!(ref vector);
                vector.CopyTo(row); // Writes zeros for the implicit entries of a sparse vector.
            }

            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(row))
            {
                skipped++;
                continue;
            }

            labels[rows] = label;
            if (weights is not null)
            {
                weights[rows] = weight;
            }

            rows++;
        }

        return new TrainingData(features, labels, weights, rows, featureCount, skipped);
    }
}
