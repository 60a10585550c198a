namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// Reads the training columns of an <see cref="IDataView"/> with one cursor pass into a <see cref="TrainingSource"/> held in
/// memory (one copy of the data; the source's statistics are accumulated on the way). A feature column of up to
/// <see cref="DenseSlotLimit"/> slots is stored densely (at most 4 KB a row); a wider one, as text featurizers and one-hot
/// encodings of many categories produce, is stored as its non-zeros (<see cref="SparseTrainingSource"/>), and stored densely
/// after all when more than a third of its entries turn out non-zero. Rows with a NaN or infinite value, or a weight that is
/// not positive, are left out and counted by reason, or stop the read with an error under <see cref="InvalidRowHandling.Error"/>.
/// </summary>
internal static class DataViewReader
{
    /// <summary>Reads the columns.</summary>
    /// <returns>The source (null when no row is usable) and the rows used and skipped, by reason.</returns>
    /// <exception cref="InvalidOperationException">
    /// The data has more rows than one array can hold, or <paramref name="invalidRows"/> is <see cref="InvalidRowHandling.Error"/>
    /// and a row has a NaN or infinite label or feature or an invalid example weight (the message names the row, the column and the value).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    internal static (TrainingSource? Source, TrainingRowCounts RowCounts) Read(
        IDataView data, DataViewSchema.Column featureColumn, int featureCount, DataViewSchema.Column labelColumn,
        DataViewSchema.Column? weightColumn, InvalidRowHandling invalidRows, CancellationToken cancellationToken,
        Func<DataViewRow, DataViewSchema.Column, ValueGetter<float>>? labelReader = null)
    {
        if (featureCount > DenseSlotLimit && featureColumn.Type is VectorDataViewType)
        {
            return ReadSparse(data, featureColumn, featureCount, labelColumn, weightColumn, invalidRows, cancellationToken, labelReader);
        }

        long? knownRows = data.GetRowCount();
        int maxRows = DenseTrainingSource.Builder.MaxRows(featureCount);
        if (knownRows > maxRows)
        {
            throw TooLarge(featureColumn, knownRows.Value, featureCount);
        }

        var builder = new DenseTrainingSource.Builder(featureCount, weightColumn is not null, knownRows, $"column '{featureColumn.Name}'");
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

            if (builder.RowCount == maxRows)
            {
                throw TooLarge(featureColumn, data.GetRowCount() ?? builder.RowCount + 1L, featureCount);
            }

            Span<float> row = builder.NextRow();
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

            builder.Commit(label, weight);
        }

        var counts = new TrainingRowCounts(builder.RowCount, nonFiniteLabel, invalidWeight, nonFiniteFeatures);
        return (builder.RowCount == 0 ? null : builder.Build(), counts);
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
            $"exceed the {Array.MaxLength} floats (~{Array.MaxLength * 4.0 / (1L << 30):F0} GB) one buffer can hold: at most {maxRows} rows fit. Reduce the features " +
            $"(fewer n-grams or hash bits, mlContext.Transforms.FeatureSelection.SelectFeaturesBasedOnCount or SelectFeaturesBasedOnMutualInformation), " +
            $"or train on a sample of the rows (mlContext.Data.TakeRows, or BootstrapSample)."));
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
