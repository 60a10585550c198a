namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The model trained by <see cref="GradientDescentBinaryTrainer"/>: appends the columns ML.NET's calibrated binary trainers
/// produce, with their types and annotations (<c>ScoreColumnSetId</c>, <c>ScoreColumnKind</c> = <c>BinaryClassification</c>,
/// <c>ScoreValueKind</c>, and <c>IsNormalized</c> on the probability):
/// <list type="bullet">
/// <item><c>PredictedLabel</c> (Boolean): <c>Probability &gt;= 0.5</c> (a probability of exactly 0.5 is true; NaN features give false);</item>
/// <item><c>Score</c> (Single): the raw logit <c>Bias + dot(Features, Weights)</c> for the linear model, the network's output otherwise;</item>
/// <item><c>Probability</c> (Single): the logistic sigmoid of the score, computed without overflow for any logit.</item>
/// </list>
/// Transform is lazy, the network runs once per row whatever columns are read, scoring a row allocates nothing, and the
/// transformer is immutable, so concurrent scoring from many threads is safe.
/// </summary>
/// <remarks>
/// <c>mlContext.Model.Save</c> stores it as a chain of built-in ML.NET transformers (a custom mapping that scores from a
/// checksummed record of the model); <see cref="GradientDescentModel.Load"/> rebuilds this transformer from it. Plain
/// <c>mlContext.Model.Load</c> returns the built-in chain, which gives the same three columns with identical values and types
/// but without the scorer annotations (a custom mapping cannot set annotations); the evaluators find the columns by name, so
/// <c>BinaryClassification.Evaluate</c> works on both.
/// Input columns named like the chain's helper columns (<c>__GdTrainer_v2_*</c>) are kept when they were in the schema the
/// transformer was fitted on; see the remarks of <see cref="GradientDescentModel"/>.
/// </remarks>
public sealed class GradientDescentBinaryTransformer : ISingleFeaturePredictionTransformer<GradientDescentModelParameters>
{
    private readonly PredictionTransformerCore _core;

    /// <summary>Creates a transformer that classifies with <paramref name="model"/> (one output: the logit).</summary>
    /// <param name="model">The learned parameters.</param>
    /// <param name="featureColumnName">The input feature column.</param>
    /// <param name="featureColumnType">Its type: a known-size vector of Single with <c>model.FeatureCount</c> elements, or a Single scalar for one feature.</param>
    /// <exception cref="ArgumentException">The type does not match the model's number of features, or the model does not have exactly one output.</exception>
    public GradientDescentBinaryTransformer(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType)
        : this(model, featureColumnName, featureColumnType, ProtectedColumns.None)
    {
    }

    /// <summary>Creates the transformer knowing its input columns: the saved carrier keeps those named like its helper columns.</summary>
    /// <exception cref="ArgumentException">As the public constructor.</exception>
    internal GradientDescentBinaryTransformer(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType, ProtectedColumns protectedColumns)
    {
        _core = new PredictionTransformerCore(model, featureColumnName, featureColumnType, BinaryColumns.Instance, protectedColumns, PredictionTasks.Get(PredictionKind.Binary), nameof(model));
    }

    /// <summary>The trained model: its layers, history and row counts.</summary>
    public GradientDescentModelParameters Model => _core.Model;

    /// <summary>The feature column read by <see cref="Transform"/>.</summary>
    public string FeatureColumnName => _core.FeatureColumnName;

    /// <summary>The feature column's type as seen in training.</summary>
    public DataViewType FeatureColumnType => _core.FeatureColumnType;

    /// <summary>The task of the transformer (its saved form and ONNX outputs).</summary>
    internal IPredictionTask Task => _core.Task;

    /// <summary>Always true: every output row depends only on its input row.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The training loss of each epoch (same as <c>Model.LossHistory</c>).</summary>
    public IReadOnlyList<float> LossHistory => Model.LossHistory;

    /// <summary>The input schema with <c>PredictedLabel</c>, <c>Score</c> and <c>Probability</c> appended (hiding earlier columns of those names).</summary>
    /// <exception cref="ArgumentException">The feature column is missing or does not have the training type.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _core.GetOutputSchema(inputSchema);

    /// <summary>Returns a lazy view of <paramref name="input"/> with the three output columns; nothing is computed until it is read.</summary>
    /// <exception cref="ArgumentException">The feature column is missing or does not have the training type.</exception>
    public IDataView Transform(IDataView input) => _core.Transform(input);

    /// <summary>A row-to-row mapper for <paramref name="inputSchema"/>, as used by prediction engines.</summary>
    /// <exception cref="ArgumentException">The feature column is missing or does not have the training type.</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _core.GetRowToRowMapper(inputSchema);

    /// <summary>Writes the model as built-in ML.NET transformers (called by <c>mlContext.Model.Save</c>).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _core.Save(ctx);
}
