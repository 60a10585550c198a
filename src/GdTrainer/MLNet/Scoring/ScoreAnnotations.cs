namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The annotations ML.NET's scorers put on the columns of a trained predictor (its internal <c>AnnotationUtils</c>: kinds
/// <c>ScoreColumnSetId</c> of type <c>Key&lt;UInt32, 0-2147483646&gt;</c>, <c>ScoreColumnKind</c> and <c>ScoreValueKind</c> as text,
/// <c>IsNormalized</c> on a probability), rebuilt with the public <see cref="DataViewSchema.Annotations.Builder"/>.
/// </summary>
internal static class ScoreAnnotations
{
    internal const string ScoreColumnSetId = "ScoreColumnSetId";
    internal const string ScoreColumnKind = "ScoreColumnKind";
    internal const string ScoreValueKind = "ScoreValueKind";
    internal const string IsNormalized = "IsNormalized";
    internal const string SlotNames = "SlotNames";
    internal const string KeyValues = "KeyValues";
    internal const string TrainingLabelValues = "TrainingLabelValues";
    internal const string BinaryClassification = "BinaryClassification";
    internal const string MulticlassClassification = "MulticlassClassification";

    /// <summary>The type of the <c>ScoreColumnSetId</c> annotation, as ML.NET declares it.</summary>
    internal static KeyDataViewType SetIdType { get; } = new(typeof(uint), int.MaxValue);

    /// <summary>A builder holding the three annotations every scorer column carries.</summary>
    internal static DataViewSchema.Annotations.Builder Builder(uint setId, string columnKind, string valueKind)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(ScoreColumnSetId, SetIdType, (ref uint value) => value = setId);
        builder.Add(ScoreColumnKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = columnKind.AsMemory());
        builder.Add(ScoreValueKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = valueKind.AsMemory());
        return builder;
    }
}
