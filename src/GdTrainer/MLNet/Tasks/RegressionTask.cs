namespace GdTrainer.MLNet;

using GdTrainer.Losses;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>Regression: a Single label, one output (<c>Score</c>), the mean squared error by default.</summary>
internal sealed class RegressionTask : ITrainingTask
{
    internal static RegressionTask Instance { get; } = new();

    public string Name => "regression";

    public PredictionKind Kind => PredictionKind.Regression;

    public Loss DefaultLoss => new MeanSquaredErrorLoss();

    public float? InitialOutputBias(double labelMean) => (float)labelMean;

    public float LinearConvergenceTolerance => 1e-9f;

    public float DefaultLinearL2(int trainingRows) => 0f;

    public void CheckLabel(SchemaShape inputSchema, string labelColumnName, string parameterName) =>
        ColumnChecks.CheckSingle(inputSchema, labelColumnName, "label", parameterName);

    public DataViewSchema.Column CheckLabel(DataViewSchema schema, string labelColumnName, string parameterName) =>
        ColumnChecks.CheckSingle(schema, labelColumnName, "label", parameterName);

    public int OutputCount(DataViewSchema.Column labelColumn) => 1;

    public ValueGetter<float> LabelGetter(DataViewRow row, DataViewSchema.Column labelColumn) => row.GetGetter<float>(labelColumn);

    public void CheckTrainingLabels(LabelSummary labels, DataViewSchema.Column labelColumn)
    {
    }
}
