namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The model trained by <see cref="GradientDescentRegressionTrainer"/>: adds a Single <c>Score</c> column computed by the
/// trained network (<c>Bias + dot(Features, Weights)</c> for the linear model). Transform is lazy (scores are computed as rows
/// are read), scoring a row allocates nothing, and the transformer is immutable, so concurrent scoring from many threads is safe.
/// </summary>
/// <remarks>
/// ML.NET cannot load third-party transformer types, so <c>mlContext.Model.Save</c> stores this one as a chain
/// of built-in ML.NET transformers (a custom mapping that scores from a checksummed record of the model, its standardisation,
/// feature column and history). <see cref="GradientDescentModel.Load"/> recognises that chain and rebuilds this transformer
/// (same layers, history, feature column; bit-identical scores, in-memory speed). Plain <c>mlContext.Model.Load</c> returns the
/// built-in chain itself: it scores identically but slower per row, since each of its transforms adds ML.NET's per-row cursor
/// overhead, and it does not expose <see cref="Model"/>. <see cref="GradientDescentModel.Save"/> also avoids half-written files.
/// A model built by a <see cref="GradientDescentTrainerOptions.ModelFactory"/> with a module type the save format cannot describe
/// fails to save with a <see cref="NotSupportedException"/> naming the type. Input columns named like the chain's helper columns
/// (<c>__GdTrainer_v2_*</c>) are kept when they were in the schema the transformer was fitted on; see the remarks of
/// <see cref="GradientDescentModel"/>.
/// </remarks>
public sealed class GradientDescentRegressionTransformer : ISingleFeaturePredictionTransformer<GradientDescentModelParameters>
{
    /// <summary>The name of the output column.</summary>
    public const string ScoreColumnName = "Score";

    private readonly PredictionTransformerCore _core;

    /// <summary>Creates a transformer that scores with <paramref name="model"/>.</summary>
    /// <param name="model">The learned parameters.</param>
    /// <param name="featureColumnName">The input feature column.</param>
    /// <param name="featureColumnType">Its type: a known-size vector of Single with <c>model.FeatureCount</c> elements, or a Single scalar for one feature.</param>
    /// <exception cref="ArgumentException">The type does not match the model's number of features, or the model does not have exactly one output.</exception>
    public GradientDescentRegressionTransformer(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType)
        : this(model, featureColumnName, featureColumnType, ProtectedColumns.None)
    {
    }

    /// <summary>Creates the transformer knowing its input columns: the saved carrier keeps those named like its helper columns.</summary>
    /// <exception cref="ArgumentException">As the public constructor.</exception>
    internal GradientDescentRegressionTransformer(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType, ProtectedColumns protectedColumns)
    {
        _core = new PredictionTransformerCore(model, featureColumnName, featureColumnType, RegressionColumns.Instance, protectedColumns, PredictionTasks.Get(PredictionKind.Regression), nameof(model));
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

    /// <summary>The learned weights of a linear model (same as <c>Model.Weights</c>).</summary>
    /// <exception cref="InvalidOperationException">The model has hidden layers; read <c>Model.Layers</c>.</exception>
    public IReadOnlyList<float> Weights => Model.Weights;

    /// <summary>The learned bias of a linear model (same as <c>Model.Bias</c>).</summary>
    /// <exception cref="InvalidOperationException">The model has hidden layers; read <c>Model.Layers</c>.</exception>
    public float Bias => Model.Bias;

    /// <summary>The training loss of each epoch (same as <c>Model.LossHistory</c>).</summary>
    public IReadOnlyList<float> LossHistory => Model.LossHistory;

    /// <summary>The input schema with a Single <c>Score</c> column appended (hiding any earlier column of that name).</summary>
    /// <exception cref="ArgumentException">The feature column is missing or does not have the training type.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _core.GetOutputSchema(inputSchema);

    /// <summary>Returns a lazy view of <paramref name="input"/> with the <c>Score</c> column; nothing is computed until it is read.</summary>
    /// <exception cref="ArgumentException">The feature column is missing or does not have the training type.</exception>
    public IDataView Transform(IDataView input) => _core.Transform(input);

    /// <summary>A row-to-row mapper for <paramref name="inputSchema"/>, as used by prediction engines.</summary>
    /// <exception cref="ArgumentException">The feature column is missing or does not have the training type.</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _core.GetRowToRowMapper(inputSchema);

    /// <summary>
    /// Writes the model as built-in ML.NET transformers (called by <c>mlContext.Model.Save</c>; a model with a module type the
    /// save format cannot describe throws <see cref="NotSupportedException"/> naming it);
    /// <see cref="GradientDescentModel.Load"/> turns them back into this type, <c>mlContext.Model.Load</c>
    /// returns them as they are (identical scores, slower).
    /// </summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _core.Save(ctx);
}
