namespace GdTrainer.MLNet;

using System.Buffers;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The training columns read once from an <see cref="IDataView"/> into contiguous buffers: features
/// row-major (<see cref="RowCount"/> x <see cref="FeatureCount"/>), labels, and example weights when a
/// weight column is used. Rows with a NaN or infinite value, or a weight that is not positive, are left out and counted
/// by reason (<see cref="RowCounts"/>), or stop the read with an error under <see cref="InvalidRowHandling.Error"/>.
/// The buffers are rented from <see cref="ArrayPool{T}.Shared"/> and given back by <see cref="Dispose"/>: fitting again
/// (cross-validation, a parameter search) then reuses memory the process has already touched, which on some
/// machines costs far less than fresh pages (filling a fresh 80 MB array took ~250 ms on the 2-core CI machine).
/// </summary>
internal sealed class TrainingData : IDisposable
{
    private readonly ColumnMoments _moments;

    private TrainingData(float[] features, float[] labels, float[]? weights, int rowCount, int featureCount, TrainingRowCounts rowCounts, ColumnMoments moments, double labelSum, double labelSquareSum)
    {
        _moments = moments;
        TotalWeight = moments.TotalWeight;
        LabelMean = labelSum / moments.TotalWeight;
        LabelSquareMean = labelSquareSum / moments.TotalWeight;
        Features = features;
        Labels = labels;
        Weights = weights;
        RowCount = rowCount;
        FeatureCount = featureCount;
        RowCounts = rowCounts;
    }

    /// <summary>Row-major features; only the first <c>RowCount * FeatureCount</c> elements are used.</summary>
    internal float[] Features { get; private set; }

    /// <summary>Labels; only the first <see cref="RowCount"/> elements are used.</summary>
    internal float[] Labels { get; private set; }

    /// <summary>Example weights, or null when no weight column is used.</summary>
    internal float[]? Weights { get; private set; }

    internal int RowCount { get; private set; }

    internal int FeatureCount { get; }

    /// <summary>The rows used and the rows left out (non-finite values, invalid weights), by reason.</summary>
    internal TrainingRowCounts RowCounts { get; }

    /// <summary>The (example-weighted) mean of the labels of the usable rows.</summary>
    internal double LabelMean { get; }

    /// <summary>The (example-weighted) mean of the squared labels of the usable rows: the label's scale, for the precision floor of the loss.</summary>
    internal double LabelSquareMean { get; }

    /// <summary>The sum of the example weights of the usable rows (their number without a weight column).</summary>
    internal double TotalWeight { get; private set; }

    /// <summary>
    /// Puts the rows in a random order drawn from <paramref name="random"/> (Fisher-Yates), so that
    /// contiguous mini-batches are random samples even when the source is sorted. The rows are gathered
    /// into fresh pooled buffers and the old ones go back to the pool: independent reads let the memory
    /// system overlap its misses, where permuting in place follows one dependent chain of cache misses
    /// (measured on 1M x 20: ~30 ms against ~120 ms). Each read is also prefetched a few rows ahead,
    /// which roughly halved the gather again (~40 ms against ~95 ms on a slow day of the CI machine class).
    /// </summary>
    /// <param name="random">The generator that draws the order.</param>
    /// <param name="transform">The feature transform to apply to every row while it is copied, or null.</param>
    internal void PermuteRows(FastRandom random, GdTrainer.Training.FeatureTransform? transform = null)
    {
        const int PrefetchDistance = 8; // Rows ahead: enough to cover a miss, few enough to stay in L1.
        int d = FeatureCount;
        int rowCount = RowCount;
        int[] order = ArrayPool<int>.Shared.Rent(Math.Max(rowCount, 1)); // Row i receives the row that was at order[i].
        for (int i = 0; i < rowCount; i++)
        {
            order[i] = i;
        }

        random.Shuffle(order.AsSpan(0, rowCount));
        float[] features = ArrayPool<float>.Shared.Rent(Math.Max(rowCount * d, 1));
        float[] labels = ArrayPool<float>.Shared.Rent(Math.Max(rowCount, 1));
        float[]? weights = Weights is null ? null : ArrayPool<float>.Shared.Rent(Math.Max(rowCount, 1));
        for (int i = 0; i < rowCount; i++)
        {
            if (i + PrefetchDistance < rowCount)
            {
                int ahead = order[i + PrefetchDistance];
                CachePrefetch.Range(Features, ahead * d, d);
                CachePrefetch.Range(Labels, ahead, 1);
            }

            int row = order[i];
            if (transform is null)
            {
                Features.AsSpan(row * d, d).CopyTo(features.AsSpan(i * d, d));
            }
            else
            {
                transform.Apply(Features.AsSpan(row * d, d), features.AsSpan(i * d, d));
            }

            labels[i] = Labels[row];
            if (weights is not null)
            {
                weights[i] = Weights![row];
            }
        }

        ArrayPool<int>.Shared.Return(order);
        Dispose();
        (Features, Labels, Weights) = (features, labels, weights);
    }

    /// <summary>
    /// Moves the last <paramref name="count"/> rows into a new instance (for a held-out validation set) and keeps the others.
    /// The statistics (<see cref="FeatureMoments"/>, <see cref="LabelMean"/>) of both stay those of all the rows read.
    /// </summary>
    internal TrainingData SplitOffLast(int count)
    {
        int d = FeatureCount;
        int start = RowCount - count;
        float[] features = ArrayPool<float>.Shared.Rent(Math.Max(count * d, 1));
        float[] labels = ArrayPool<float>.Shared.Rent(Math.Max(count, 1));
        float[]? weights = Weights is null ? null : ArrayPool<float>.Shared.Rent(Math.Max(count, 1));
        Features.AsSpan(start * d, count * d).CopyTo(features);
        Labels.AsSpan(start, count).CopyTo(labels);
        Weights?.AsSpan(start, count).CopyTo(weights);
        var heldOut = new TrainingData(features, labels, weights, count, d, new TrainingRowCounts(count, 0, 0, 0), _moments, LabelMean * _moments.TotalWeight, LabelSquareMean * _moments.TotalWeight);
        RowCount = start;
        TotalWeight = SumOfWeights(Weights, start);
        heldOut.TotalWeight = SumOfWeights(weights, count);
        return heldOut;
    }

    private static double SumOfWeights(float[]? weights, int count)
    {
        if (weights is null)
        {
            return count;
        }

        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += weights[i];
        }

        return sum;
    }

    /// <summary>Gives the buffers back to the pool; the data must not be used afterwards.</summary>
    public void Dispose()
    {
        ArrayPool<float>.Shared.Return(Features);
        ArrayPool<float>.Shared.Return(Labels);
        if (Weights is not null)
        {
            ArrayPool<float>.Shared.Return(Weights);
        }
    }

    /// <summary>The (example-weighted) mean and variance of each feature over the usable rows (accumulated while reading).</summary>
    internal (double[] Means, double[] Variances) FeatureMoments() => _moments.MeansAndVariances();

    /// <summary>The smallest and largest value of each feature over the usable rows.</summary>
    internal (float[] Minimum, float[] Maximum) FeatureRange() => _moments.Range();

    /// <summary>Applies <paramref name="transform"/> to every row in place.</summary>
    internal void TransformRows(GdTrainer.Training.FeatureTransform transform)
    {
        int d = FeatureCount;
        for (int row = 0; row < RowCount; row++)
        {
            Span<float> features = Features.AsSpan(row * d, d);
            transform.Apply(features, features);
        }
    }

    /// <summary>Reads the columns with one cursor pass.</summary>
    /// <exception cref="InvalidOperationException">
    /// The data has more rows than one array can hold, or <paramref name="invalidRows"/> is <see cref="InvalidRowHandling.Error"/>
    /// and a row has a NaN or infinite label or feature or an invalid example weight (the message names the row, the column and the value).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    internal static TrainingData Read(
        IDataView data, DataViewSchema.Column featureColumn, int featureCount, DataViewSchema.Column labelColumn,
        DataViewSchema.Column? weightColumn, InvalidRowHandling invalidRows, CancellationToken cancellationToken,
        Func<DataViewRow, DataViewSchema.Column, ValueGetter<float>>? labelReader = null)
    {
        long? knownRows = data.GetRowCount();
        int maxRows = MaxRows(featureCount);
        if (knownRows > maxRows)
        {
            throw TooLarge(featureColumn, knownRows.Value, featureCount);
        }

        int capacity = (int)Math.Clamp(knownRows ?? 1024, 1, maxRows);
        float[] features = ArrayPool<float>.Shared.Rent(Math.Max(capacity * featureCount, 1));
        float[] labels = ArrayPool<float>.Shared.Rent(capacity);
        float[]? weights = weightColumn is null ? null : ArrayPool<float>.Shared.Rent(capacity);

        var columns = new List<DataViewSchema.Column> { featureColumn, labelColumn };
        if (weightColumn is { } w)
        {
            columns.Add(w);
        }

        using DataViewRowCursor cursor = data.GetRowCursor(columns);
        bool scalarFeature = featureColumn.Type is not VectorDataViewType;
        ValueGetter<VBuffer<float>>? vectorGetter = scalarFeature ? null : cursor.GetGetter<VBuffer<float>>(featureColumn);
        ValueGetter<float>? scalarGetter = scalarFeature ? cursor.GetGetter<float>(featureColumn) : null;
        ValueGetter<float> labelGetter = labelReader?.Invoke(cursor, labelColumn) ?? cursor.GetGetter<float>(labelColumn);
        ValueGetter<float>? weightGetter = weightColumn is { } wc ? cursor.GetGetter<float>(wc) : null;

        var moments = new ColumnMoments(featureCount);
        double labelSum = 0;
        double labelSquareSum = 0;
        VBuffer<float> vector = default;
        float label = 0f;
        float weight = 1f;
        float scalar = 0f;
        int rows = 0;
        long nonFiniteLabel = 0;
        long invalidWeight = 0;
        long nonFiniteFeatures = 0;
        long seen = 0;
        while (cursor.MoveNext())
        {
            if ((++seen & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            labelGetter(ref label);
            weightGetter?.Invoke(ref weight);
            if (!float.IsFinite(label))
            {
                if (invalidRows == InvalidRowHandling.Error)
                {
                    throw InvalidRow(seen - 1, $"the label column '{labelColumn.Name}'", label, "NaN or infinite");
                }

                nonFiniteLabel++;
                continue;
            }

            if (!float.IsFinite(weight) || weight <= 0f)
            {
                if (invalidRows == InvalidRowHandling.Error)
                {
                    throw InvalidRow(seen - 1, $"the example weight column '{weightColumn!.Value.Name}'", weight, "NaN, infinite, zero or negative");
                }

                invalidWeight++;
                continue;
            }

            if (rows == labels.Length || (rows + 1) * featureCount > features.Length)
            {
                int grown = (int)Math.Min((long)labels.Length * 2, maxRows);
                if (grown <= rows)
                {
                    throw TooLarge(featureColumn, data.GetRowCount() ?? rows + 1L, featureCount);
                }

                features = Grow(features, rows * featureCount, grown * featureCount);
                labels = Grow(labels, rows, grown);
                if (weights is not null)
                {
                    weights = Grow(weights, rows, grown);
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
                if (invalidRows == InvalidRowHandling.Error)
                {
                    int slot = FirstNonFinite(row);
                    string column = scalarFeature ? $"the feature column '{featureColumn.Name}'" : $"slot {slot} of the feature column '{featureColumn.Name}'";
                    throw InvalidRow(seen - 1, column, row[slot], "NaN or infinite");
                }

                nonFiniteFeatures++;
                continue;
            }

            labels[rows] = label;
            if (weights is not null)
            {
                weights[rows] = weight;
            }

            moments.Add(row, weight);
            labelSum += (double)weight * label;
            labelSquareSum += (double)weight * label * label;
            rows++;
        }

        var counts = new TrainingRowCounts(rows, nonFiniteLabel, invalidWeight, nonFiniteFeatures);
        return new TrainingData(features, labels, weights, rows, featureCount, counts, moments, labelSum, labelSquareSum);
    }

    /// <summary>The most rows of <paramref name="featureCount"/> dense features one training buffer (one .NET array of floats) can hold.</summary>
    internal static int MaxRows(int featureCount) => Array.MaxLength / Math.Max(featureCount, 1);

    /// <summary>The error for a training set whose dense features do not fit in one array.</summary>
    internal static InvalidOperationException TooLarge(DataViewSchema.Column featureColumn, long rows, int featureCount) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"GradientDescent reads the training rows into memory as dense floats (sparse vectors are densified row by row), and {(rows > MaxRows(featureCount) ? $"{rows}" : $"more than {MaxRows(featureCount)}")} rows of the {featureCount} features of column '{featureColumn.Name}' " +
            $"exceed the {Array.MaxLength} floats (~{Array.MaxLength * 4.0 / (1L << 30):F0} GB) one buffer can hold: at most {MaxRows(featureCount)} rows fit. Reduce the features " +
            $"(fewer n-grams or hash bits, mlContext.Transforms.FeatureSelection.SelectFeaturesBasedOnCount or SelectFeaturesBasedOnMutualInformation), " +
            $"or train on a sample of the rows (mlContext.Data.TakeRows, or BootstrapSample)."));

    /// <summary>The error for an unusable row under <see cref="InvalidRowHandling.Error"/>.</summary>
    private static InvalidOperationException InvalidRow(long row, string column, float value, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"GradientDescent cannot train on row {row} (0-based, in the order of the input data view): {column} holds {value}, " +
            $"and a value that is {problem} is not allowed (Options.InvalidRows is Error). Replace missing values first " +
            $"(mlContext.Transforms.ReplaceMissingValues), remove such rows (mlContext.Data.FilterRowsByMissingValues, or " +
            $"FilterRowsByColumn for example weights), or set Options.InvalidRows = InvalidRowHandling.Skip to leave them out " +
            $"and count them in the model's RowCounts."));

    private static int FirstNonFinite(ReadOnlySpan<float> row)
    {
        for (int j = 0; j < row.Length; j++)
        {
            if (!float.IsFinite(row[j]))
            {
                return j;
            }
        }

        return 0;
    }

    /// <summary>A larger pooled buffer holding the first <paramref name="used"/> elements of <paramref name="buffer"/>, which goes back to the pool.</summary>
    private static float[] Grow(float[] buffer, int used, int length)
    {
        float[] grown = ArrayPool<float>.Shared.Rent(length);
        buffer.AsSpan(0, used).CopyTo(grown);
        ArrayPool<float>.Shared.Return(buffer);
        return grown;
    }

    /// <summary>
    /// Per-column weighted first and second moments of the rows, for centring and scaling, and each column's range. Values are
    /// accumulated relative to the first row (the shifted-data algorithm, which keeps the variance accurate when a feature's
    /// mean is large against its spread), in double: a float square overflows above 1.8e19, and features on a scale of 1e20
    /// (a quantity in the wrong unit) then gave an infinite variance, a zero scale and a model of the bias alone.
    /// Sums, squares, minimum and maximum are updated in one SIMD loop per row.
    /// </summary>
    private sealed class ColumnMoments(int columns)
    {
        private readonly double[] _shift = new double[columns];
        private readonly double[] _sums = new double[columns];
        private readonly double[] _squares = new double[columns];
        private readonly float[] _minimum = new float[columns];
        private readonly float[] _maximum = new float[columns];
        private bool _shifted;

        internal double TotalWeight { get; private set; }

        internal void Add(ReadOnlySpan<float> row, float weight)
        {
            if (!_shifted)
            {
                for (int k = 0; k < row.Length; k++)
                {
                    _shift[k] = row[k];
                }

                row.CopyTo(_minimum);
                row.CopyTo(_maximum);
                _shifted = true;
            }

            int j = 0;
            if (System.Numerics.Vector.IsHardwareAccelerated)
            {
                int width = System.Numerics.Vector<float>.Count;
                int half = System.Numerics.Vector<double>.Count;
                var w = new System.Numerics.Vector<double>(weight);
                for (; j <= row.Length - width; j += width)
                {
                    var values = new System.Numerics.Vector<float>(row.Slice(j, width));
                    System.Numerics.Vector.Widen(values, out System.Numerics.Vector<double> low, out System.Numerics.Vector<double> high);
                    Accumulate(low, j, w);
                    Accumulate(high, j + half, w);
                    System.Numerics.Vector.Min(new System.Numerics.Vector<float>(_minimum, j), values).CopyTo(_minimum, j);
                    System.Numerics.Vector.Max(new System.Numerics.Vector<float>(_maximum, j), values).CopyTo(_maximum, j);
                }
            }

            for (; j < row.Length; j++)
            {
                double difference = row[j] - _shift[j];
                double weighted = weight * difference;
                _sums[j] += weighted;
                _squares[j] += weighted * difference;
                _minimum[j] = Math.Min(_minimum[j], row[j]);
                _maximum[j] = Math.Max(_maximum[j], row[j]);
            }

            TotalWeight += weight;
        }

        private void Accumulate(System.Numerics.Vector<double> values, int j, System.Numerics.Vector<double> weight)
        {
            var difference = values - new System.Numerics.Vector<double>(_shift, j);
            var weighted = difference * weight;
            (new System.Numerics.Vector<double>(_sums, j) + weighted).CopyTo(_sums, j);
            (new System.Numerics.Vector<double>(_squares, j) + (weighted * difference)).CopyTo(_squares, j);
        }

        /// <summary>The smallest and largest value of each column.</summary>
        internal (float[] Minimum, float[] Maximum) Range() => (_minimum, _maximum);

        /// <summary>The weighted mean and (population) variance of each column.</summary>
        internal (double[] Means, double[] Variances) MeansAndVariances()
        {
            var means = new double[_sums.Length];
            var variances = new double[_sums.Length];
            for (int j = 0; j < means.Length; j++)
            {
                double shiftedMean = _sums[j] / TotalWeight;
                means[j] = _shift[j] + shiftedMean;
                variances[j] = Math.Max((_squares[j] / TotalWeight) - (shiftedMean * shiftedMean), 0);
            }

            return (means, variances);
        }
    }
}
