namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The multiclass end of the saved carrier (<see cref="SavedModelCarrier"/>): a custom mapping cannot give a column a key type or
/// annotations, nor a vector size chosen at save time, so <see cref="MulticlassSizedScoreFactory"/> writes the predicted class as a
/// plain 1-based index and the probabilities as a sparse vector of a fixed declared size, and built-in transforms rebuild the rest:
/// <c>MapValue</c> turns the index into the label's original key value (of its own type, stored in the model file),
/// <c>MapValueToKey</c> with those values as its key data turns that into <c>PredictedLabel</c>, a key of the class count carrying
/// the same <c>KeyValues</c> in the same order, so <c>MapKeyToValue</c> works after plain <c>mlContext.Model.Load</c>, and a
/// <c>SlotsDroppingTransformer</c> keeps the class slots as <c>Score</c>, a vector of the class count (without slot names: built-in
/// transforms name slots only after columns, and columns named like the classes could hide the user's).
/// Files saved before the sized score (and models of <see cref="MulticlassSizedScoreFactory.DeclaredSize"/> classes or more) hold
/// <see cref="MulticlassScoreFactory"/> and <c>CopyColumns</c> instead: <c>Score</c> of unknown size after plain load.
/// </summary>
internal static class MulticlassCarrier
{
    internal const string ScoresColumn = "__GdTrainer_v2_Scores";
    internal const string IndexColumn = "__GdTrainer_v2_PredictedIndex";
    internal const string ValueColumn = "__GdTrainer_v2_PredictedValue";
    private const string SlotDropperTypeName = "Microsoft.ML.Transforms.SlotsDroppingTransformer";

    /// <summary>
    /// The steps from the score mapping to <c>Score</c> and <c>PredictedLabel</c>, in order, each fitting its transformer on the view
    /// the previous steps produce. Models with fewer than <see cref="MulticlassSizedScoreFactory.DeclaredSize"/> classes get the sized
    /// carrier (<see cref="MulticlassSizedScoreFactory"/>, then a <c>SlotsDroppingTransformer</c> keeping the first k slots as
    /// <c>Score</c>: a vector of size k after plain <c>mlContext.Model.Load</c>); larger ones the first version-2 carrier
    /// (<see cref="MulticlassScoreFactory"/>, then <c>CopyColumns</c>: a <c>Score</c> of unknown size after plain load).
    /// </summary>
    internal static Func<IDataView, ITransformer>[] Steps(MLContext mlContext, PredictionColumns columns)
    {
        IDataView lookup = Lookup(mlContext, columns);
        bool sized = columns.ModelOutputs < MulticlassSizedScoreFactory.DeclaredSize;
        IEstimator<ITransformer> scoring = sized
            ? mlContext.Transforms.CustomMapping(new MulticlassSizedScoreFactory().GetMapping(), MulticlassSizedScoreFactory.ContractName)
            : mlContext.Transforms.CustomMapping(new MulticlassScoreFactory().GetMapping(), MulticlassScoreFactory.ContractName);
        IEstimator<ITransformer> value = mlContext.Transforms.Conversion.MapValue(ValueColumn, lookup, lookup.Schema[nameof(LookupRow<int>.Index)], lookup.Schema[nameof(LookupRow<int>.Value)], IndexColumn);
        IEstimator<ITransformer> key = mlContext.Transforms.Conversion.MapValueToKey(PredictionColumns.PredictedLabelColumnName, ValueColumn,
            keyData: mlContext.Transforms.SelectColumns(nameof(LookupRow<int>.Value)).Fit(lookup).Transform(lookup));
        return
        [
            scoring.Fit,
            value.Fit,
            key.Fit,
            sized ? _ => KeepClassSlots(mlContext, columns.ModelOutputs) : mlContext.Transforms.CopyColumns(PredictionColumns.ScoreColumnName, ScoresColumn).Fit,
        ];
    }

    /// <summary>
    /// The <c>SlotsDroppingTransformer</c> writing <c>Score</c> from the first <paramref name="classes"/> slots of the sized score
    /// column. ML.NET creates one publicly only by fitting a feature selection, so this fits <c>SelectFeaturesBasedOnCount</c> (count 1)
    /// on one row whose first <paramref name="classes"/> slots are 1 and the rest absent: it drops slots k to
    /// <see cref="MulticlassSizedScoreFactory.DeclaredSize"/> - 1 (one range, stored in the model file) and keeps the rest.
    /// </summary>
    /// <exception cref="InvalidOperationException">ML.NET did not produce that transformer (a changed feature selection).</exception>
    private static ITransformer KeepClassSlots(MLContext mlContext, int classes)
    {
        var ones = new float[classes];
        var indices = new int[classes];
        for (int i = 0; i < classes; i++)
        {
            ones[i] = 1f;
            indices[i] = i;
        }

        SchemaDefinition definition = SchemaDefinition.Create(typeof(SlotRow));
        definition[0].ColumnName = ScoresColumn;
        definition[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, MulticlassSizedScoreFactory.DeclaredSize);
        IDataView crafted = mlContext.Data.LoadFromEnumerable([new SlotRow { Scores = new VBuffer<float>(MulticlassSizedScoreFactory.DeclaredSize, classes, ones, indices) }], definition);
        ITransformer fitted = mlContext.Transforms.FeatureSelection.SelectFeaturesBasedOnCount(PredictionColumns.ScoreColumnName, ScoresColumn, count: 1).Fit(crafted);
        return IsSlotDropper(fitted) ? fitted
            : throw new InvalidOperationException($"Selecting the class slots of the saved multiclass score produced a {fitted.GetType().Name}, not the SlotsDroppingTransformer the save format needs.");
    }

    /// <summary>Whether <paramref name="transformer"/> is ML.NET's <c>SlotsDroppingTransformer</c> (an internal type, known by its name).</summary>
    internal static bool IsSlotDropper(ITransformer transformer) => transformer.GetType().FullName == SlotDropperTypeName;

    /// <summary>A view of (1-based index, key value) rows, one per class: the label's key values, or "1".."k" as text when it had none.</summary>
    private static IDataView Lookup(MLContext mlContext, PredictionColumns columns)
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

    /// <summary>The one row of the view the class slots are selected on.</summary>
    private sealed class SlotRow
    {
        public VBuffer<float> Scores;
    }

    /// <summary>One class of the lookup view.</summary>
    private sealed class LookupRow<T>
    {
        public uint Index;

        public T Value = default!;
    }
}
