namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The model trained by <see cref="GradientDescentMulticlassTrainer"/>: appends the columns ML.NET's maximum-entropy trainers
/// produce, with their types and annotations:
/// <list type="bullet">
/// <item><c>PredictedLabel</c>: a key of the label's key type size (<c>Key&lt;UInt32&gt;</c> with the class count) carrying the label's
/// <c>KeyValues</c>, so that <c>mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel")</c> gives back the original labels;
/// the class of the largest probability (the first one on a tie);</item>
/// <item><c>Score</c>: a vector of the class count holding the class probabilities (the softmax of the network's logits, computed
/// after subtracting their maximum), with <c>SlotNames</c> = the label's key values as text.</item>
/// </list>
/// Both also carry <c>ScoreColumnSetId</c>, <c>ScoreColumnKind</c> = <c>MulticlassClassification</c> and <c>ScoreValueKind</c>.
/// Transform is lazy, the network runs once per row, scoring a row allocates nothing, and the transformer is immutable, so
/// concurrent scoring is safe.
/// </summary>
/// <remarks>
/// A class that never appears in the training data keeps its output: its logit is only ever pushed down, so its probability
/// stays low and it is predicted only when every other class is less likely. <c>mlContext.Model.Save</c> stores the transformer
/// as built-in ML.NET transformers; see <see cref="GradientDescentModel.Load"/> and the docs of the save format for what plain
/// <c>mlContext.Model.Load</c> returns.
/// Input columns named like the chain's helper columns (<c>__GdTrainer_v2_*</c>) are kept when they were in the schema the
/// transformer was fitted on; see the remarks of <see cref="GradientDescentModel"/>.
/// </remarks>
public sealed class GradientDescentMulticlassTransformer : ISingleFeaturePredictionTransformer<GradientDescentModelParameters>
{
    private readonly PredictionTransformerCore _core;
    private readonly MulticlassColumns _columns;

    /// <summary>Creates a transformer that classifies with <paramref name="model"/> (one output, a logit, per class).</summary>
    /// <param name="model">The learned parameters; its output count is the number of classes (at least 2).</param>
    /// <param name="featureColumnName">The input feature column.</param>
    /// <param name="featureColumnType">Its type: a known-size vector of Single with <c>model.FeatureCount</c> elements, or a Single scalar for one feature.</param>
    /// <param name="labelAnnotations">
    /// The annotations of the training label column (<c>data.Schema["Label"].Annotations</c>): its <c>KeyValues</c>, one per class,
    /// become the key values of <c>PredictedLabel</c> and (as text) the slot names of <c>Score</c>. Null or without key values: neither is set.
    /// </param>
    /// <exception cref="ArgumentException">The type does not match the model's number of features, or the model has fewer than 2 outputs.</exception>
    public GradientDescentMulticlassTransformer(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType, DataViewSchema.Annotations? labelAnnotations)
        : this(model, featureColumnName, featureColumnType, labelAnnotations, ProtectedColumns.None)
    {
    }

    /// <summary>Creates the transformer knowing its input columns: the saved carrier keeps those named like its helper columns.</summary>
    /// <exception cref="ArgumentException">As the public constructor.</exception>
    internal GradientDescentMulticlassTransformer(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType, DataViewSchema.Annotations? labelAnnotations, ProtectedColumns protectedColumns)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.OutputCount < 2)
        {
            throw new ArgumentException($"A multiclass transformer needs a model with one output per class (at least 2), but this one has {model.OutputCount}.", nameof(model));
        }

        _columns = new MulticlassColumns(model.OutputCount, labelAnnotations);
        _core = new PredictionTransformerCore(model, featureColumnName, featureColumnType, _columns, protectedColumns, PredictionTasks.Get(PredictionKind.Multiclass), nameof(model));
    }

    /// <summary>The trained model: its layers, history and row counts.</summary>
    public GradientDescentModelParameters Model => _core.Model;

    /// <summary>The feature column read by <see cref="Transform"/>.</summary>
    public string FeatureColumnName => _core.FeatureColumnName;

    /// <summary>The feature column's type as seen in training.</summary>
    public DataViewType FeatureColumnType => _core.FeatureColumnType;

    /// <summary>The number of classes (the label's key count; the length of <c>Score</c>).</summary>
    public int ClassCount => Model.OutputCount;

    /// <summary>The label's key values as text, in key order (the slot names of <c>Score</c>), or null when the label had none.</summary>
    public IReadOnlyList<string>? ClassNames => _columns.ClassNames;

    /// <summary>The task of the transformer (its saved form and ONNX outputs).</summary>
    internal IPredictionTask Task => _core.Task;

    /// <summary>Always true: every output row depends only on its input row.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The training loss of each epoch (same as <c>Model.LossHistory</c>).</summary>
    public IReadOnlyList<float> LossHistory => Model.LossHistory;

    /// <summary>The label annotations the transformer was created with (restricted to usable key values), or null.</summary>
    internal DataViewSchema.Annotations? LabelAnnotations => _columns.LabelAnnotations;

    /// <summary>The input schema with <c>PredictedLabel</c> and <c>Score</c> appended (hiding earlier columns of those names).</summary>
    /// <exception cref="ArgumentException">The feature column is missing or does not have the training type.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _core.GetOutputSchema(inputSchema);

    /// <summary>Returns a lazy view of <paramref name="input"/> with the two output columns; nothing is computed until it is read.</summary>
    /// <exception cref="ArgumentException">The feature column is missing or does not have the training type.</exception>
    public IDataView Transform(IDataView input) => _core.Transform(input);

    /// <summary>A row-to-row mapper for <paramref name="inputSchema"/>, as used by prediction engines.</summary>
    /// <exception cref="ArgumentException">The feature column is missing or does not have the training type.</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _core.GetRowToRowMapper(inputSchema);

    /// <summary>Writes the model as built-in ML.NET transformers (called by <c>mlContext.Model.Save</c>).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _core.Save(ctx);
}
