using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Benchmarks.FitCost;

/// <summary>A row of the first-Fit and Fit-memory measurements: a feature vector whose width is set at load time, and a label.</summary>
public sealed class FitCostRow
{
    /// <summary>The features.</summary>
    public float[] Features { get; set; } = [];

    /// <summary>The label.</summary>
    public float Label { get; set; }

    /// <summary>The rows as a cached data view with a <paramref name="features"/>-wide feature column, read through once so the cache is full.</summary>
    public static IDataView Cache(MLContext mlContext, IEnumerable<FitCostRow> rows, int features)
    {
        SchemaDefinition schema = SchemaDefinition.Create(typeof(FitCostRow));
        schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        IDataView cached = mlContext.Data.Cache(mlContext.Data.LoadFromEnumerable(rows, schema));
        using DataViewRowCursor cursor = cached.GetRowCursor(cached.Schema);
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(cached.Schema[nameof(Features)]);
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
        }

        return cached;
    }
}
