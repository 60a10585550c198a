namespace GdTrainer.MLNet;

using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The multiclass transformer's columns, as ML.NET's maximum-entropy trainers produce them: <c>PredictedLabel</c> (a key of the
/// label's key count carrying the label's <c>KeyValues</c> annotation, so that <c>MapKeyToValue</c> gives back the original labels;
/// the class with the largest probability, the first one on a tie, the missing key 0 when the scores are NaN) and <c>Score</c>
/// (a known-size vector of the class probabilities, the softmax of the logits computed after subtracting their maximum, with
/// <c>SlotNames</c> from the label's key values in text).
/// </summary>
internal sealed class MulticlassColumns : PredictionColumns
{
    private readonly int _classes;

    /// <param name="classes">The number of classes (the label's key count).</param>
    /// <param name="labelAnnotations">The label column's annotations (its <c>KeyValues</c> are copied), or null for none.</param>
    internal MulticlassColumns(int classes, DataViewSchema.Annotations? labelAnnotations)
    {
        _classes = classes;
        LabelAnnotations = labelAnnotations is not null && labelAnnotations.Schema.GetColumnOrNull(ScoreAnnotations.KeyValues) is { Type: VectorDataViewType { Size: var size } } && size == classes
            ? labelAnnotations
            : null;
        ClassNames = LabelAnnotations is null ? null : KeyValueText(LabelAnnotations);
        PredictedLabelType = new KeyDataViewType(typeof(uint), classes);
    }

    /// <summary>The label's annotations holding its key values (exactly <c>classes</c> of them), or null.</summary>
    internal override DataViewSchema.Annotations? LabelAnnotations { get; }

    /// <summary>The label's key values as text (the score's slot names), or null when the label has none.</summary>
    internal string[]? ClassNames { get; }

    /// <summary>The type of <c>PredictedLabel</c>: a key of the class count.</summary>
    internal KeyDataViewType PredictedLabelType { get; }

    internal override int ModelOutputs => _classes;

    internal override int Count => 2;

    internal override void AddColumns(DataViewSchema.Builder builder, DataViewSchema input)
    {
        uint setId = NextScoreColumnSetId(input);
        DataViewSchema.Annotations.Builder predicted = ScoreAnnotations.Builder(setId, ScoreAnnotations.MulticlassClassification, PredictedLabelColumnName);
        if (LabelAnnotations is not null)
        {
            predicted.Add(LabelAnnotations, kind => kind == ScoreAnnotations.KeyValues);
        }

        builder.AddColumn(PredictedLabelColumnName, PredictedLabelType, predicted.ToAnnotations());
        DataViewSchema.Annotations.Builder score = ScoreAnnotations.Builder(setId, ScoreAnnotations.MulticlassClassification, ScoreColumnName);
        if (ClassNames is { } names)
        {
            score.Add(ScoreAnnotations.SlotNames, new VectorDataViewType(TextDataViewType.Instance, names.Length), (ref VBuffer<ReadOnlyMemory<char>> value) =>
            {
                VBufferEditor<ReadOnlyMemory<char>> editor = VBufferEditor.Create(ref value, names.Length);
                for (int i = 0; i < names.Length; i++)
                {
                    editor.Values[i] = names[i].AsMemory();
                }

                value = editor.Commit();
            });
        }

        builder.AddColumn(ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, _classes), score.ToAnnotations());
    }

    internal override Delegate CreateGetter(int column, RowScorer scorer) => column == 0
        ? (ValueGetter<uint>)((ref uint value) => value = PredictedKey(scorer.Outputs))
        : (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
        {
            VBufferEditor<float> editor = VBufferEditor.Create(ref value, _classes);
            Softmax(scorer.Outputs, editor.Values);
            value = editor.Commit();
        });

    /// <summary>The key (1-based class index) of the largest logit, the first on a tie; 0 (missing) when the logits are NaN.</summary>
    internal static uint PredictedKey(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return float.IsNaN(logits[best]) ? 0u : (uint)(best + 1);
    }

    /// <summary>The softmax of <paramref name="logits"/>: <c>exp(x_i - max) / sum_j exp(x_j - max)</c>.</summary>
    internal static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        float max = System.Numerics.Tensors.TensorPrimitives.Max(logits);
        System.Numerics.Tensors.TensorPrimitives.Subtract(logits, max, probabilities);
        System.Numerics.Tensors.TensorPrimitives.Exp(probabilities, probabilities);
        float sum = System.Numerics.Tensors.TensorPrimitives.Sum<float>(probabilities);
        System.Numerics.Tensors.TensorPrimitives.Divide(probabilities, sum, probabilities);
    }

    /// <summary>The <c>KeyValues</c> of <paramref name="annotations"/> as invariant text, whatever their item type.</summary>
    private static string[] KeyValueText(DataViewSchema.Annotations annotations)
    {
        DataViewSchema.Column column = annotations.Schema[ScoreAnnotations.KeyValues];
        Type itemType = ((VectorDataViewType)column.Type).ItemType.RawType;
        return (string[])typeof(MulticlassColumns).GetMethod(nameof(KeyValueTextOf), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(itemType).Invoke(null, [annotations])!;
    }

    private static string[] KeyValueTextOf<T>(DataViewSchema.Annotations annotations)
    {
        VBuffer<T> values = default;
        annotations.GetValue(ScoreAnnotations.KeyValues, ref values);
        var text = new string[values.Length];
        int i = 0;
        foreach (T value in values.DenseValues())
        {
            text[i++] = value switch
            {
                ReadOnlyMemory<char> chars => chars.ToString(),
                IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                _ => value?.ToString() ?? string.Empty,
            };
        }

        return text;
    }
}
