namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Losses;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// Binary classification: a Boolean label read as the target 1 (true) or 0 (false), one output (the logit), the binary
/// cross-entropy of logits by default. The output bias starts at the log-odds of the positive rate, the optimum of the bias
/// while the weights are 0 (the features are centred), which saves the first epochs the walk there.
/// </summary>
internal sealed class BinaryTask(float? positiveClassWeight) : ITrainingTask
{
    public string Name => "binary classification";

    public PredictionKind Kind => PredictionKind.Binary;

    public Loss DefaultLoss => new BinaryCrossEntropyWithLogitsLoss(positiveClassWeight);

    public float? InitialOutputBias(double labelMean)
    {
        // With a positive-class weight p the optimum of the bias is the log of p times the odds.
        double odds = labelMean / (1 - labelMean) * (positiveClassWeight ?? 1f);
        return double.IsFinite(Math.Log(odds)) ? (float)Math.Log(odds) : null;
    }

    public float LinearConvergenceTolerance => 1e-4f;

    public float DefaultLinearL2(int trainingRows) => DefaultRegularization.LinearClassifierL2(trainingRows);

    public void CheckLabel(SchemaShape inputSchema, string labelColumnName, string parameterName) =>
        ColumnChecks.CheckBoolean(inputSchema, labelColumnName, parameterName);

    public DataViewSchema.Column CheckLabel(DataViewSchema schema, string labelColumnName, string parameterName) =>
        ColumnChecks.CheckBoolean(schema, labelColumnName, parameterName);

    public int OutputCount(DataViewSchema.Column labelColumn) => 1;

    public ValueGetter<float> LabelGetter(DataViewRow row, DataViewSchema.Column labelColumn)
    {
        ValueGetter<bool> getter = row.GetGetter<bool>(labelColumn);
        bool value = false;
        return (ref float label) =>
        {
            getter(ref value);
            label = value ? 1f : 0f;
        };
    }

    /// <exception cref="InvalidOperationException">Every usable row has the same label.</exception>
    public void CheckTrainingLabels(LabelSummary labels, DataViewSchema.Column labelColumn)
    {
        if (labels.AboveHalf == 0 || labels.AboveHalf == labels.Rows)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The label column '{labelColumn.Name}' is {(labels.AboveHalf == 0 ? "false" : "true")} in all {labels.Rows} usable training rows: a binary classifier needs rows of both classes (its logit would grow without bound). Check the label conversion and any row filter, or train on more data."));
        }
    }
}
