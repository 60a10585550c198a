namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// Reads the training columns of an <see cref="IDataView"/> with one cursor pass into a <see cref="TrainingSource"/> held in
/// memory (one copy of the data; the source's statistics are accumulated on the way). Rows with a NaN or infinite value, or a
/// weight that is not positive, are left out and counted by reason, or stop the read with an error under
/// <see cref="InvalidRowHandling.Error"/>.
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
    internal static (DenseTrainingSource? Source, TrainingRowCounts RowCounts) Read(
        IDataView data, DataViewSchema.Column featureColumn, int featureCount, DataViewSchema.Column labelColumn,
        DataViewSchema.Column? weightColumn, InvalidRowHandling invalidRows, CancellationToken cancellationToken,
        Func<DataViewRow, DataViewSchema.Column, ValueGetter<float>>? labelReader = null)
    {
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
