namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// Reads the training columns of an <see cref="IDataView"/> with one cursor pass into a <see cref="TrainingSource"/> held in
/// memory (one copy of the data; the source's statistics are accumulated on the way), or, when the rows do not fit the
/// <see cref="MemoryBudget"/> (or <see cref="GradientDescentTrainerOptions.Streaming"/> is true), makes that pass the first of a
/// <see cref="StreamingTrainingSource"/>: statistics and counts only, the rows read again from the data view on every epoch. A
/// feature column of up to <see cref="DenseSlotLimit"/> slots is stored densely (at most 4 KB a row); a wider one, as text
/// featurizers and one-hot encodings of many categories produce, is stored as its non-zeros (<see cref="SparseTrainingSource"/>,
/// never streamed), and stored densely after all when more than a third of its entries turn out non-zero. Rows with a NaN or
/// infinite value, or a weight that is not positive, are left out and counted by reason, or stop the read with an error under
/// <see cref="InvalidRowHandling.Error"/>.
/// </summary>
internal static class DataViewReader
{
    /// <summary>Reads the columns.</summary>
    /// <param name="data">The data view.</param>
    /// <param name="featureColumn">The feature column.</param>
    /// <param name="featureCount">Its number of slots.</param>
    /// <param name="labelColumn">The label column.</param>
    /// <param name="weightColumn">The example-weight column, or null.</param>
    /// <param name="invalidRows">What to do with unusable rows.</param>
    /// <param name="budget">Whether the rows are held in memory or streamed.</param>
    /// <param name="which">"training" or "validation", for the description of streamed rows.</param>
    /// <param name="cancellationToken">Checked every 65,536 rows (and, for streamed rows, in every later pass).</param>
    /// <param name="labelReader">The task's label getter, or null to read a Single label.</param>
    /// <returns>The source (null when no row is usable) and the rows used and skipped, by reason.</returns>
    /// <exception cref="InvalidOperationException">
    /// The data has more rows than one array can hold and <see cref="GradientDescentTrainerOptions.Streaming"/> is false, or more
    /// usable rows than a streamed source counts (2,147,483,647); <see cref="GradientDescentTrainerOptions.Streaming"/> is true for a
    /// feature column read as sparse rows; or <paramref name="invalidRows"/> is <see cref="InvalidRowHandling.Error"/> and a row has
    /// a NaN or infinite label or feature or an invalid example weight (the message names the row, the column and the value).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    internal static (TrainingSource? Source, TrainingRowCounts RowCounts) Read(
        IDataView data, DataViewSchema.Column featureColumn, int featureCount, DataViewSchema.Column labelColumn,
        DataViewSchema.Column? weightColumn, InvalidRowHandling invalidRows, MemoryBudget budget, string which, CancellationToken cancellationToken,
        Func<DataViewRow, DataViewSchema.Column, ValueGetter<float>>? labelReader = null)
    {
        if (featureCount > DenseSlotLimit && featureColumn.Type is VectorDataViewType)
        {
            if (budget.Streaming == true)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"Options.Streaming is true, but the feature column '{featureColumn.Name}' has {featureCount} slots, more than the {DenseSlotLimit:N0} up to which GradientDescent reads dense rows: " +
                    $"a wider column is held in memory as sparse rows (its non-zeros), which are not streamed. Set Streaming to null (the default) or false, or reduce the features " +
                    $"(mlContext.Transforms.FeatureSelection.SelectFeaturesBasedOnCount, fewer n-grams or hash bits)."));
            }

            return ReadSparse(data, featureColumn, featureCount, labelColumn, weightColumn, invalidRows, cancellationToken, labelReader);
        }

        long? knownRows = data.GetRowCount();
        int maxRows = DenseTrainingSource.Builder.MaxRows(featureCount);
        if (knownRows > maxRows && budget.Streaming == false)
        {
            throw TooLarge(featureColumn, knownRows.Value, featureCount);
        }

        // The rows are stored while they fit the budget; from the moment they would not, only their statistics are kept and
        // the source streams (a data view that cannot tell its row count is found out when its store would grow too large).
        long rowBytes = MemoryBudget.RowBytes(featureCount, weightColumn is not null);
        bool stores = knownRows is { } rows ? rows <= maxRows && budget.Holds(rows * rowBytes) : budget.Streaming != true;
        DenseTrainingSource.Builder? builder = stores ? new DenseTrainingSource.Builder(featureCount, weightColumn is not null, knownRows, $"column '{featureColumn.Name}'") : null;
        FeatureStatisticsAccumulator? statistics = stores ? null : new FeatureStatisticsAccumulator(featureCount);
        float[]? scratch = stores ? null : new float[featureCount];
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

        VBuffer<float> vector = default;
        float label = 0f;
        float weight = 1f;
        float scalar = 0f;
        long used = 0;
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
            if (!IsUsable(label, weight, seen - 1, invalidRows, labelColumn, weightColumn, ref nonFiniteLabel, ref invalidWeight))
            {
                continue;
            }

            if (builder is not null && builder.RowCount == builder.Capacity)
            {
                bool atLimit = builder.RowCount == maxRows;
                if (atLimit && budget.Streaming == false)
                {
                    throw TooLarge(featureColumn, data.GetRowCount() ?? builder.RowCount + 1L, featureCount);
                }

                if (atLimit || !budget.Holds((builder.Capacity + (long)builder.GrownCapacity) * rowBytes))
                {
                    statistics = builder.Statistics; // Stream from here on: the rows stored so far go, their statistics stay.
                    builder = null;
                    scratch = new float[featureCount];
                }
            }

            if (used == int.MaxValue)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"GradientDescent trains on at most {int.MaxValue:N0} rows, and the {which} data of column '{featureColumn.Name}' has more usable rows. Train on a sample of the rows (mlContext.Data.TakeRows or BootstrapSample)."));
            }

            Span<float> row = builder is not null ? builder.NextRow() : scratch;
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

            if (builder is not null)
            {
                builder.Commit(label, weight);
            }
            else
            {
                statistics!.Add(row, label, weight);
            }

            used++;
        }

        var counts = new TrainingRowCounts(used, nonFiniteLabel, invalidWeight, nonFiniteFeatures);
        if (used == 0)
        {
            return (null, counts);
        }

        if (builder is not null)
        {
            return (builder.Build(), counts);
        }

        var stream = new DataViewRowStream(data, featureColumn, featureCount, labelColumn, weightColumn, labelReader,
            $"column '{featureColumn.Name}' of the {which} data view ({data.GetType().Name})");
        return (new StreamingTrainingSource(stream, statistics!.Build(), (int)used, budget.ShuffleBufferBytes, cancellationToken), counts);
    }

    /// <summary>The widest feature vector stored densely: 1,024 floats, 4 KB a row.</summary>
    internal const int DenseSlotLimit = 1024;

    /// <summary>Rows read before the non-zeros of the whole data set are projected from them (to refuse a set too large early).</summary>
    private const int ProjectionRows = 1000;

    private static (TrainingSource? Source, TrainingRowCounts RowCounts) ReadSparse(
        IDataView data, DataViewSchema.Column featureColumn, int featureCount, DataViewSchema.Column labelColumn,
        DataViewSchema.Column? weightColumn, InvalidRowHandling invalidRows, CancellationToken cancellationToken,
        Func<DataViewRow, DataViewSchema.Column, ValueGetter<float>>? labelReader)
    {
        long? knownRows = data.GetRowCount();
        var builder = new SparseTrainingSource.Builder(featureCount, weightColumn is not null, knownRows, $"column '{featureColumn.Name}'");
        var columns = new List<DataViewSchema.Column> { featureColumn, labelColumn };
        if (weightColumn is { } w)
        {
            columns.Add(w);
        }

        using DataViewRowCursor cursor = data.GetRowCursor(columns);
        ValueGetter<VBuffer<float>> vectorGetter = cursor.GetGetter<VBuffer<float>>(featureColumn);
        ValueGetter<float> labelGetter = labelReader?.Invoke(cursor, labelColumn) ?? cursor.GetGetter<float>(labelColumn);
        ValueGetter<float>? weightGetter = weightColumn is { } wc ? cursor.GetGetter<float>(wc) : null;
        VBuffer<float> vector = default;
        float label = 0f;
        float weight = 1f;
        long nonFiniteLabel = 0, invalidWeight = 0, nonFiniteFeatures = 0, seen = 0;
        while (cursor.MoveNext())
        {
            if ((++seen & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            labelGetter(ref label);
            weightGetter?.Invoke(ref weight);
            if (!IsUsable(label, weight, seen - 1, invalidRows, labelColumn, weightColumn, ref nonFiniteLabel, ref invalidWeight))
            {
                continue;
            }

            vectorGetter(ref vector);
            ReadOnlySpan<float> values = vector.GetValues();
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(values))
            {
                if (invalidRows == InvalidRowHandling.Error)
                {
                    int at = FirstNonFinite(values);
                    int slot = vector.IsDense ? at : vector.GetIndices()[at];
                    throw InvalidRow(seen - 1, $"slot {slot} of the feature column '{featureColumn.Name}'", values[at], "NaN or infinite");
                }

                nonFiniteFeatures++;
                continue;
            }

            if (vector.IsDense)
            {
                builder.AddDense(values, label, weight);
            }
            else
            {
                builder.AddSparse(vector.GetIndices(), values, label, weight);
            }

            if (builder.RowCount == ProjectionRows && knownRows is { } total
                && (double)builder.NonZeroCount / ProjectionRows * total > SparseTrainingSource.Builder.MaxNonZeros)
            {
                throw TooManyNonZeros(featureColumn, total, builder.NonZeroCount / (double)ProjectionRows);
            }
        }

        var counts = new TrainingRowCounts(builder.RowCount, nonFiniteLabel, invalidWeight, nonFiniteFeatures);
        if (builder.RowCount == 0)
        {
            return (null, counts);
        }

        SparseTrainingSource sparse = builder.Build();
        bool mostlyNonZero = sparse.NonZeroCount * 3L > (long)sparse.RowCount * featureCount;
        bool denseFits = sparse.RowCount <= DenseTrainingSource.Builder.MaxRows(featureCount);
        return (mostlyNonZero && denseFits ? sparse.ToDense() : sparse, counts);
    }

    /// <summary>The error for sparse rows whose non-zeros, projected from the first rows, exceed what one store can hold.</summary>
    private static InvalidOperationException TooManyNonZeros(DataViewSchema.Column featureColumn, long rows, double perRow) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"GradientDescent stores the non-zeros of column '{featureColumn.Name}' in memory, and its first {ProjectionRows} rows hold {perRow:F0} non-zeros each: " +
            $"{rows} rows would hold about {perRow * rows:G3}, more than the {SparseTrainingSource.Builder.MaxNonZeros} one store can hold. Reduce the features per row " +
            $"(fewer n-gram lengths or character n-grams in FeaturizeText, SelectFeaturesBasedOnCount), or train on a sample of the rows (mlContext.Data.TakeRows)."));

    /// <summary>The error for a training set whose dense features do not fit in one array.</summary>
    internal static InvalidOperationException TooLarge(DataViewSchema.Column featureColumn, long rows, int featureCount)
    {
        int maxRows = DenseTrainingSource.Builder.MaxRows(featureCount);
        return new(string.Create(CultureInfo.InvariantCulture,
            $"GradientDescent reads the training rows into memory as dense floats (sparse vectors are densified row by row), and {(rows > maxRows ? $"{rows}" : $"more than {maxRows}")} rows of the {featureCount} features of column '{featureColumn.Name}' " +
            $"exceed the {Array.MaxLength} floats (~{Array.MaxLength * 4.0 / (1L << 30):F0} GB) one buffer can hold: at most {maxRows} rows fit. Leave Options.Streaming null (the default) or set it to true to stream the rows from the data view instead, reduce the features " +
            $"(fewer n-grams or hash bits, mlContext.Transforms.FeatureSelection.SelectFeaturesBasedOnCount or SelectFeaturesBasedOnMutualInformation), " +
            $"or train on a sample of the rows (mlContext.Data.TakeRows, or BootstrapSample)."));
    }

    /// <summary>
    /// Whether a row's label and example weight can train; a row that cannot is counted under its reason (the label first), or,
    /// under <see cref="InvalidRowHandling.Error"/>, ends the read with an error that names the row, the column and the value.
    /// </summary>
    private static bool IsUsable(
        float label, float weight, long row, InvalidRowHandling invalidRows, DataViewSchema.Column labelColumn, DataViewSchema.Column? weightColumn,
        ref long nonFiniteLabel, ref long invalidWeight)
    {
        if (!float.IsFinite(label))
        {
            if (invalidRows == InvalidRowHandling.Error)
            {
                throw InvalidRow(row, $"the label column '{labelColumn.Name}'", label, "NaN or infinite");
            }

            nonFiniteLabel++;
            return false;
        }

        if (!float.IsFinite(weight) || weight <= 0f)
        {
            if (invalidRows == InvalidRowHandling.Error)
            {
                throw InvalidRow(row, $"the example weight column '{weightColumn!.Value.Name}'", weight, "NaN, infinite, zero or negative");
            }

            invalidWeight++;
            return false;
        }

        return true;
    }

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
}
