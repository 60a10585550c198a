namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Losses;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Onnx;

/// <summary>
/// Binary classification: a Boolean label read as the target 1 (true) or 0 (false), one output (the logit), the binary
/// cross-entropy of logits by default. The output bias starts at the log-odds of the positive rate, the optimum of the bias
/// while the weights are 0 (the features are centred), which saves the first epochs the walk there. Saved with
/// <see cref="BinaryScoreFactory"/>; exported with <c>PredictedLabel</c>, <c>Score</c> and <c>Probability</c>.
/// </summary>
internal sealed class BinaryTask(float? positiveClassWeight) : LearningTask<GradientDescentBinaryTransformer>
{
    private static readonly string[] s_onnxOutputNames =
        [PredictionColumns.PredictedLabelColumnName, PredictionColumns.ScoreColumnName, PredictionColumns.ProbabilityColumnName];

    public override PredictionKind Kind => PredictionKind.Binary;

    public override string Name => "binary classification";

    public override Loss DefaultLoss => new BinaryCrossEntropyWithLogitsLoss(positiveClassWeight);

    public override float LinearConvergenceTolerance => 1e-4f;

    public override IReadOnlyList<string> OnnxOutputNames => s_onnxOutputNames;

    /// <summary>12: the binary label's <c>GreaterOrEqual</c> exists from opset 12.</summary>
    public override int MinimumFeaturizerOpset => GradientDescentOnnx.MinimumBinaryFeaturizerOpsetVersion;

    public override float? InitialOutputBias(double labelMean)
    {
        // With a positive-class weight p the optimum of the bias is the log of p times the odds.
        double odds = labelMean / (1 - labelMean) * (positiveClassWeight ?? 1f);
        return double.IsFinite(Math.Log(odds)) ? (float)Math.Log(odds) : null;
    }

    public override float DefaultLinearL2(int trainingRows) => DefaultRegularization.LinearClassifierL2(trainingRows);

    public override void CheckLabel(SchemaShape inputSchema, string labelColumnName, string parameterName) =>
        ColumnChecks.CheckBoolean(inputSchema, labelColumnName, parameterName);

    public override DataViewSchema.Column CheckLabel(DataViewSchema schema, string labelColumnName, string parameterName) =>
        ColumnChecks.CheckBoolean(schema, labelColumnName, parameterName);

    public override int OutputCount(DataViewSchema.Column labelColumn) => 1;

    public override ValueGetter<float> LabelGetter(DataViewRow row, DataViewSchema.Column labelColumn)
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
    public override void CheckTrainingLabels(LabelSummary labels, DataViewSchema.Column labelColumn)
    {
        if (labels.AboveHalf == 0 || labels.AboveHalf == labels.Rows)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The label column '{labelColumn.Name}' is {(labels.AboveHalf == 0 ? "false" : "true")} in all {labels.Rows} usable training rows: a binary classifier needs rows of both classes (its logit would grow without bound). Check the label conversion and any row filter, or train on more data."));
        }
    }

    /// <summary>The input with <c>PredictedLabel</c>, <c>Score</c> and <c>Probability</c>.</summary>
    internal override SchemaShape AppendOutputShapes(SchemaShape inputSchema, string labelColumnName) =>
        SchemaShapes.Append(inputSchema, SchemaShapes.ShapesOf(BinaryColumns.Instance));

    internal override GradientDescentBinaryTransformer CreateTransformer(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType,
        DataViewSchema.Annotations? labelAnnotations, ProtectedColumns protectedColumns) =>
        new(model, featureColumnName, featureColumnType, protectedColumns);

    public override IReadOnlyList<Func<IDataView, ITransformer>> ScoringSteps(MLContext mlContext, PredictionColumns columns) =>
        [mlContext.Transforms.CustomMapping(new BinaryScoreFactory().GetMapping(), BinaryScoreFactory.ContractName).Fit];

    public override bool IsScoringOf(ITransformer[] scoring) =>
        scoring is [CustomMappingTransformer<RegressionScoreFactory.ScoringInput, BinaryScoreFactory.BinaryOutput>];

    public override bool FitsOutputCount(int outputCount) => outputCount == 1;

    /// <summary>
    /// Adds the transformer's three columns: <c>PredictedLabel</c> bool <c>[N, 1]</c> = <c>GreaterOrEqual(Probability, 0.5)</c> (the
    /// transformer's rule: exactly 0.5 is true, NaN false), <c>Score</c> float <c>[N, 1]</c> = the logit, and <c>Probability</c> float
    /// <c>[N, 1]</c> = <c>Sigmoid(Score)</c>.
    /// </summary>
    public override void AddOnnxOutputs(OnnxGraphWriter writer, string logits, int outputCount)
    {
        string probability = writer.AddNode("Sigmoid", [logits], "probability");
        string label = writer.AddNode("GreaterOrEqual", [probability, writer.AddScalar("half", 0.5f)], "predicted_label");
        writer.AddOutput(PredictionColumns.PredictedLabelColumnName, label, 1, TensorProto.Types.DataType.Bool);
        writer.AddOutput(PredictionColumns.ScoreColumnName, logits, 1);
        writer.AddOutput(PredictionColumns.ProbabilityColumnName, probability, 1);
    }
}
