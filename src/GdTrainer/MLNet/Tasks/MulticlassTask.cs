namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Losses;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Onnx;

/// <summary>
/// Multiclass classification: a key-typed label (as <c>MapValueToKey</c> produces) read as the class index <c>key - 1</c>
/// (the missing key 0 becomes NaN, so the row is skipped and counted under <see cref="TrainingRowCounts.NonFiniteLabel"/>), one
/// output (logit) per key, the cross-entropy over their softmax by default (with the trainer's label smoothing and class weights).
/// The output biases start at 0. A class that never appears in training still has its output: its logit is only pushed down,
/// so its probability stays low (it is never predicted unless every other class is very unlikely). Saved with
/// <see cref="MulticlassSizedScoreFactory"/> and the built-in steps of <see cref="MulticlassCarrier"/>; exported with
/// <c>PredictedLabel</c> and <c>Score</c>.
/// </summary>
internal sealed class MulticlassTask(float labelSmoothing, float[]? classWeights) : LearningTask<GradientDescentMulticlassTransformer>
{
    private static readonly string[] s_onnxOutputNames = [PredictionColumns.PredictedLabelColumnName, PredictionColumns.ScoreColumnName];

    private static readonly string[] s_helperColumns =
        [.. SavedModelCarrier.HelperColumnsV2, MulticlassCarrier.ScoresColumn, MulticlassCarrier.IndexColumn, MulticlassCarrier.ValueColumn];

    public override PredictionKind Kind => PredictionKind.Multiclass;

    public override string Name => "multiclass classification";

    public override Loss DefaultLoss => new CrossEntropyLoss(labelSmoothing, classWeights);

    public override float LinearConvergenceTolerance => 1e-4f;

    public override IReadOnlyList<string> HelperColumns => s_helperColumns;

    public override IReadOnlyList<string> OnnxOutputNames => s_onnxOutputNames;

    public override float? InitialOutputBias(double labelMean) => null;

    public override float DefaultLinearL2(int trainingRows) => DefaultRegularization.LinearClassifierL2(trainingRows);

    public override void CheckLabel(SchemaShape inputSchema, string labelColumnName, string parameterName) =>
        ColumnChecks.CheckKey(inputSchema, labelColumnName, parameterName);

    public override DataViewSchema.Column CheckLabel(DataViewSchema schema, string labelColumnName, string parameterName)
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

    public override int OutputCount(DataViewSchema.Column labelColumn) => (int)((KeyDataViewType)labelColumn.Type).Count;

    public override ValueGetter<float> LabelGetter(DataViewRow row, DataViewSchema.Column labelColumn)
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
    public override void CheckTrainingLabels(LabelSummary labels, DataViewSchema.Column labelColumn)
    {
        if (labels.AllEqual)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Only one class (key {labels.First + 1}) of the label column '{labelColumn.Name}' appears in the {labels.Rows} usable training rows: a classifier needs at least two. Check the label mapping and any row filter, or train on more data."));
        }
    }

    /// <summary>
    /// The input with <c>PredictedLabel</c> (a key) and <c>Score</c> (a vector); both carry key values or slot names when the label
    /// has key values (a shape only says that they exist, so two example classes stand for them).
    /// </summary>
    internal override SchemaShape AppendOutputShapes(SchemaShape inputSchema, string labelColumnName)
    {
        bool hasKeyValues = inputSchema.First(c => c.Name == labelColumnName).Annotations.Any(c => c.Name == ScoreAnnotations.KeyValues);
        DataViewSchema.Annotations? example = null;
        if (hasKeyValues)
        {
            var builder = new DataViewSchema.Annotations.Builder();
            builder.Add(ScoreAnnotations.KeyValues, new VectorDataViewType(TextDataViewType.Instance, 2), (ref VBuffer<ReadOnlyMemory<char>> value) =>
                value = new VBuffer<ReadOnlyMemory<char>>(2, ["a".AsMemory(), "b".AsMemory()]));
            example = builder.ToAnnotations();
        }

        return SchemaShapes.Append(inputSchema, SchemaShapes.ShapesOf(new MulticlassColumns(2, example)));
    }

    /// <summary>Also checks that the label maps its keys to the initial model's class names (the same <c>MapValueToKey</c>).</summary>
    /// <exception cref="ArgumentException">The label mapping differs from the initial model's.</exception>
    internal override void CheckInitialModel(IDataView trainData, GradientDescentMulticlassTransformer initialModel, string labelColumnName, string featureColumnName)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        ArgumentNullException.ThrowIfNull(initialModel);
        DataViewSchema.Column? label = trainData.Schema.GetColumnOrNull(labelColumnName);
        if (label is { Type: KeyDataViewType key } && key.Count == (ulong)initialModel.ClassCount && initialModel.ClassNames is { } trained)
        {
            var current = new GradientDescentMulticlassTransformer(initialModel.Model, featureColumnName, initialModel.FeatureColumnType, label.Value.Annotations).ClassNames;
            if (current is null || !current.SequenceEqual(trained))
            {
                throw new ArgumentException(
                    $"The label column '{labelColumnName}' maps its keys to [{string.Join(", ", current ?? [])}], but the initial model was trained with [{string.Join(", ", trained)}]: the label mapping differs. Fit the MapValueToKey of the first training run and reuse it.",
                    nameof(initialModel));
            }
        }
    }

    internal override GradientDescentMulticlassTransformer CreateTransformer(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType,
        DataViewSchema.Annotations? labelAnnotations, ProtectedColumns protectedColumns) =>
        new(model, featureColumnName, featureColumnType, labelAnnotations, protectedColumns);

    public override IReadOnlyList<Func<IDataView, ITransformer>> ScoringSteps(MLContext mlContext, PredictionColumns columns) =>
        MulticlassCarrier.Steps(mlContext, columns);

    /// <summary>
    /// The sized score mapping, <c>MapValue</c>, <c>MapValueToKey</c> and a <c>SlotsDroppingTransformer</c>, or, in files saved before
    /// the sized score, the unsized score mapping with <c>CopyColumns</c> in place of the slot dropper (see <see cref="MulticlassCarrier"/>).
    /// </summary>
    public override bool IsScoringOf(ITransformer[] scoring) =>
        scoring is [CustomMappingTransformer<RegressionScoreFactory.ScoringInput, MulticlassScoreFactory.MulticlassOutput>, _, _, ColumnCopyingTransformer]
        || (scoring is [CustomMappingTransformer<RegressionScoreFactory.ScoringInput, MulticlassSizedScoreFactory.SizedOutput>, _, _, var keep] && MulticlassCarrier.IsSlotDropper(keep));

    public override bool FitsOutputCount(int outputCount) => outputCount >= 2;

    /// <summary>
    /// Rebuilds the transformer with the key values of the carrier's <c>PredictedLabel</c>, after checking that the sized carrier's
    /// <c>Score</c> has the model's class count.
    /// </summary>
    /// <exception cref="InvalidDataException">The sized carrier's <c>Score</c> is not a vector of the class count.</exception>
    public override ITransformer Restore(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType, ITransformer[] scoring, DataViewSchema carrierOutput, ProtectedColumns protectedColumns)
    {
        if (MulticlassCarrier.IsSlotDropper(scoring[^1]) && !new VectorDataViewType(NumberDataViewType.Single, model.OutputCount).Equals(carrierOutput.GetColumnOrNull(PredictionColumns.ScoreColumnName)?.Type))
        {
            throw new InvalidDataException(
                $"The GdTrainer model stored in this model file does not fit its chain: its Score column is {carrierOutput.GetColumnOrNull(PredictionColumns.ScoreColumnName)?.Type} for a model of {model.OutputCount} classes. Save the model again.");
        }

        return CreateTransformer(model, featureColumnName, featureColumnType, carrierOutput.GetColumnOrNull(PredictionColumns.PredictedLabelColumnName)?.Annotations, protectedColumns);
    }

    /// <summary>
    /// Adds <c>Score</c> float <c>[N, K]</c> = <c>Softmax(logits, axis 1)</c> and <c>PredictedLabel</c> uint32 <c>[N, 1]</c> =
    /// <c>Cast(ArgMax(logits, axis 1, keepdims) + 1)</c>: the 1-based key, the first class on a tie (ArgMax's default
    /// <c>select_last_index = 0</c>). The ArgMax reads the logits, as the transformer does, not the probabilities (where two classes
    /// can tie after rounding). uint32 because a key column's raw type is <c>UInt32</c> and ML.NET's own ONNX export of a multiclass
    /// <c>PredictedLabel</c> (ArgMax, Add 1, Cast to uint32) gives the same type, so graphs from both read the same way.
    /// </summary>
    public override void AddOnnxOutputs(OnnxGraphWriter writer, string logits, int outputCount)
    {
        // Softmax before opset 13 flattens to 2-D at the axis; for [N, K] and axis 1 that is the same computation.
        string probabilities = writer.AddNode("Softmax", [logits], "probabilities", OnnxGraphWriter.IntAttribute("axis", 1));
        string index = writer.AddNode("ArgMax", [logits], "argmax", OnnxGraphWriter.IntAttribute("axis", 1), OnnxGraphWriter.IntAttribute("keepdims", 1));
        string key = writer.AddNode("Add", [index, writer.AddScalar("one", 1L)], "key");
        string label = writer.AddNode("Cast", [key], "predicted_label", OnnxGraphWriter.IntAttribute("to", (long)TensorProto.Types.DataType.Uint32));
        writer.AddOutput(PredictionColumns.PredictedLabelColumnName, label, 1, TensorProto.Types.DataType.Uint32);
        writer.AddOutput(PredictionColumns.ScoreColumnName, probabilities, outputCount);
    }
}
