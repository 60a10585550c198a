namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Losses;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// Multiclass classification: a key-typed label (as <c>MapValueToKey</c> produces) read as the class index <c>key - 1</c>
/// (the missing key 0 becomes NaN, so the row is skipped and counted under <see cref="TrainingRowCounts.NonFiniteLabel"/>), one
/// output (logit) per key, the cross-entropy over their softmax by default (with the trainer's label smoothing and class weights).
/// The output biases start at 0. A class that never appears in training still has its output: its logit is only pushed down,
/// so its probability stays low (it is never predicted unless every other class is very unlikely).
/// </summary>
internal sealed class MulticlassTask(float labelSmoothing, float[]? classWeights) : ITrainingTask
{
    public string Name => "multiclass classification";

    public PredictionKind Kind => PredictionKind.Multiclass;

    public Loss DefaultLoss => new CrossEntropyLoss(labelSmoothing, classWeights);

    public float? InitialOutputBias(double labelMean) => null;

    public float LinearConvergenceTolerance => 1e-4f;

    public float DefaultLinearL2(int trainingRows) => DefaultRegularization.LinearClassifierL2(trainingRows);

    public void CheckLabel(SchemaShape inputSchema, string labelColumnName, string parameterName) =>
        ColumnChecks.CheckKey(inputSchema, labelColumnName, parameterName);

    public DataViewSchema.Column CheckLabel(DataViewSchema schema, string labelColumnName, string parameterName)
    {
        DataViewSchema.Column column = ColumnChecks.CheckKey(schema, labelColumnName, parameterName);
        int count = (int)((KeyDataViewType)column.Type).Count;
        if (classWeights is not null && classWeights.Length != count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"ClassWeights has {classWeights.Length} weights, but the label column '{labelColumnName}' has {count} classes (keys); give one weight per key, in key order."),
                parameterName);
        }

        return column;
    }

    public int OutputCount(DataViewSchema.Column labelColumn) => (int)((KeyDataViewType)labelColumn.Type).Count;

    public ValueGetter<float> LabelGetter(DataViewRow row, DataViewSchema.Column labelColumn)
    {
        var key = (KeyDataViewType)labelColumn.Type;
        Type raw = key.RawType;
        return raw == typeof(uint) ? KeyLabelGetter<uint>(row, labelColumn, key.Count)
            : raw == typeof(byte) ? KeyLabelGetter<byte>(row, labelColumn, key.Count)
            : raw == typeof(ushort) ? KeyLabelGetter<ushort>(row, labelColumn, key.Count)
            : KeyLabelGetter<ulong>(row, labelColumn, key.Count);
    }

    /// <summary>A getter of the class index (<see cref="ToIndex"/>) of a key column whose raw values are <typeparamref name="T"/>.</summary>
    private static ValueGetter<float> KeyLabelGetter<T>(DataViewRow row, DataViewSchema.Column labelColumn, ulong count)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        ValueGetter<T> getter = row.GetGetter<T>(labelColumn);
        T value = default;
        return (ref float label) =>
        {
            getter(ref value);
            label = ToIndex(ulong.CreateTruncating(value), count);
        };
    }

    /// <summary>The class index of a key value: <c>key - 1</c>, or NaN for the missing key 0 (and a value beyond the count).</summary>
    private static float ToIndex(ulong key, ulong count) => key == 0 || key > count ? float.NaN : key - 1;

    /// <exception cref="InvalidOperationException">Every usable row has the same class.</exception>
    public void CheckTrainingLabels(LabelSummary labels, DataViewSchema.Column labelColumn)
    {
        if (labels.AllEqual)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Only one class (key {labels.First + 1}) of the label column '{labelColumn.Name}' appears in the {labels.Rows} usable training rows: a classifier needs at least two. Check the label mapping and any row filter, or train on more data."));
        }
    }
}
