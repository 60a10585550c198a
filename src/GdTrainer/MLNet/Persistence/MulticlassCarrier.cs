namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The multiclass end of the saved carrier (<see cref="SavedModelCarrier"/>): a custom mapping cannot give a column a key type or
/// annotations, so <see cref="MulticlassScoreFactory"/> writes the predicted class as a plain 1-based index and the probabilities
/// as a vector, and built-in transforms rebuild the rest: <c>MapValue</c> turns the index into the label's original key value
/// (of its own type, stored in the model file), <c>MapValueToKey</c> with those values as its key data turns that into
/// <c>PredictedLabel</c>, a key of the class count carrying the same <c>KeyValues</c> in the same order, so <c>MapKeyToValue</c>
/// works after plain <c>mlContext.Model.Load</c>.
/// </summary>
internal static class MulticlassCarrier
{
    internal const string ScoresColumn = "__GdTrainer_v2_Scores";
    internal const string IndexColumn = "__GdTrainer_v2_PredictedIndex";
    internal const string ValueColumn = "__GdTrainer_v2_PredictedValue";

    /// <summary>The estimators from the score mapping to <c>Score</c> and <c>PredictedLabel</c>, in order.</summary>
    internal static IEstimator<ITransformer>[] Estimators(MLContext mlContext, MulticlassColumns columns)
    {
        IDataView lookup = Lookup(mlContext, columns);
        return
        [
            mlContext.Transforms.CustomMapping(new MulticlassScoreFactory().GetMapping(), MulticlassScoreFactory.ContractName),
            mlContext.Transforms.Conversion.MapValue(ValueColumn, lookup, lookup.Schema[nameof(LookupRow<int>.Index)], lookup.Schema[nameof(LookupRow<int>.Value)], IndexColumn),
            mlContext.Transforms.Conversion.MapValueToKey(PredictionColumns.PredictedLabelColumnName, ValueColumn,
                keyData: mlContext.Transforms.SelectColumns(nameof(LookupRow<int>.Value)).Fit(lookup).Transform(lookup)),
            mlContext.Transforms.CopyColumns(PredictionColumns.ScoreColumnName, ScoresColumn),
        ];
    }

    /// <summary>A view of (1-based index, key value) rows, one per class: the label's key values, or "1".."k" as text when it had none.</summary>
    private static IDataView Lookup(MLContext mlContext, MulticlassColumns columns)
    {
        if (columns.LabelAnnotations is not { } annotations)
        {
            var text = new LookupRow<string>[columns.ModelOutputs];
            for (int i = 0; i < text.Length; i++)
            {
                text[i] = new LookupRow<string> { Index = (uint)(i + 1), Value = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) };
            }

            return mlContext.Data.LoadFromEnumerable(text);
        }

        Type itemType = ((VectorDataViewType)annotations.Schema[ScoreAnnotations.KeyValues].Type).ItemType.RawType;
        return (IDataView)typeof(MulticlassCarrier).GetMethod(nameof(LookupOf), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(itemType).Invoke(null, [mlContext, annotations])!;
    }

    private static IDataView LookupOf<T>(MLContext mlContext, DataViewSchema.Annotations annotations)
    {
        VBuffer<T> values = default;
        annotations.GetValue(ScoreAnnotations.KeyValues, ref values);
        var rows = new LookupRow<T>[values.Length];
        int i = 0;
        foreach (T value in values.DenseValues())
        {
            rows[i] = new LookupRow<T> { Index = (uint)(i + 1), Value = value };
            i++;
        }

        return mlContext.Data.LoadFromEnumerable(rows);
    }

    /// <summary>One class of the lookup view.</summary>
    private sealed class LookupRow<T>
    {
        public uint Index;

        public T Value = default!;
    }
}
