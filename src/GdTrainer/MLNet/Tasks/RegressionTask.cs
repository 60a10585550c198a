namespace GdTrainer.MLNet;

using GdTrainer.Losses;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

/// <summary>
/// Regression: a Single label, one output (<c>Score</c>), the mean squared error by default; saved with
/// <see cref="RegressionScoreFactory"/>, exported with the one output <c>Score</c>.
/// </summary>
internal sealed class RegressionTask : LearningTask<GradientDescentRegressionTransformer>
{
    private static readonly string[] s_onnxOutputNames = [PredictionColumns.ScoreColumnName];

    internal static RegressionTask Instance { get; } = new();

    public override PredictionKind Kind => PredictionKind.Regression;

    public override string Name => "regression";

    public override Loss DefaultLoss => new MeanSquaredErrorLoss();

    public override float LinearConvergenceTolerance => 1e-9f;

    public override IReadOnlyList<string> OnnxOutputNames => s_onnxOutputNames;

    public override float? InitialOutputBias(double labelMean) => (float)labelMean;

    public override float DefaultLinearL2(int trainingRows) => 0f;

    public override void CheckLabel(SchemaShape inputSchema, string labelColumnName, string parameterName) =>
        ColumnChecks.CheckSingle(inputSchema, labelColumnName, "label", parameterName);

    public override DataViewSchema.Column CheckLabel(DataViewSchema schema, string labelColumnName, string parameterName) =>
        ColumnChecks.CheckSingle(schema, labelColumnName, "label", parameterName);

    public override int OutputCount(DataViewSchema.Column labelColumn) => 1;

    public override ValueGetter<float> LabelGetter(DataViewRow row, DataViewSchema.Column labelColumn) => row.GetGetter<float>(labelColumn);

    public override void CheckTrainingLabels(LabelSummary labels, DataViewSchema.Column labelColumn)
    {
    }

    /// <summary>The input with a Single <c>Score</c>.</summary>
    internal override SchemaShape AppendOutputShapes(SchemaShape inputSchema, string labelColumnName) =>
        SchemaShapes.Append(inputSchema, SchemaShapes.Score);

    internal override GradientDescentRegressionTransformer CreateTransformer(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType,
        DataViewSchema.Annotations? labelAnnotations, ProtectedColumns protectedColumns) =>
        new(model, featureColumnName, featureColumnType, protectedColumns);

    public override IReadOnlyList<Func<IDataView, ITransformer>> ScoringSteps(MLContext mlContext, PredictionColumns columns) =>
        [mlContext.Transforms.CustomMapping(new RegressionScoreFactory().GetMapping(), RegressionScoreFactory.ContractName).Fit];

    public override bool IsScoringOf(ITransformer[] scoring) =>
        scoring is [CustomMappingTransformer<RegressionScoreFactory.ScoringInput, RegressionScoreFactory.ScoreOutput>];

    public override bool FitsOutputCount(int outputCount) => outputCount == 1;

    /// <summary>Adds <c>Score</c>, float <c>[N, 1]</c>: the network's output.</summary>
    public override void AddOnnxOutputs(OnnxGraphWriter writer, string logits, int outputCount) =>
        writer.AddOutput(PredictionColumns.ScoreColumnName, logits, outputCount);
}
