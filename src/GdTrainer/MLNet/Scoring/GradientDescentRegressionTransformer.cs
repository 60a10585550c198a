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
/// fails to save with a <see cref="NotSupportedException"/> naming the type.
/// </remarks>
public sealed class GradientDescentRegressionTransformer : ISingleFeaturePredictionTransformer<GradientDescentModelParameters>
{
    /// <summary>The name of the output column.</summary>
    public const string ScoreColumnName = "Score";

    private readonly Lazy<ITransformer> _carrier;

    /// <summary>Creates a transformer that scores with <paramref name="model"/>.</summary>
    /// <param name="model">The learned parameters.</param>
    /// <param name="featureColumnName">The input feature column.</param>
    /// <param name="featureColumnType">Its type: a known-size vector of Single with <c>model.FeatureCount</c> elements, or a Single scalar for one feature.</param>
    /// <exception cref="ArgumentException">The type does not match the model's number of features, or the model does not have exactly one output.</exception>
    public GradientDescentRegressionTransformer(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(featureColumnName);
        ArgumentNullException.ThrowIfNull(featureColumnType);
        int size = featureColumnType switch
        {
            VectorDataViewType { ItemType: var item, IsKnownSize: true } vector when item == NumberDataViewType.Single => vector.Size,
            _ when featureColumnType == NumberDataViewType.Single => 1,
            _ => -1,
        };
        if (model.OutputCount != 1)
        {
            throw new ArgumentException($"A regression transformer needs a model with one output, but this one has {model.OutputCount}.", nameof(model));
        }

        if (size != model.FeatureCount)
        {
            throw new ArgumentException(
                $"The feature column type {featureColumnType} does not fit a model of {model.FeatureCount} features; it must be a vector of {model.FeatureCount} Single" +
                (model.FeatureCount == 1 ? " or a Single scalar." : "."), nameof(featureColumnType));
        }

        Model = model;
        FeatureColumnName = featureColumnName;
        FeatureColumnType = featureColumnType;

        // Built on first save, not in Fit: creating the built-in chain costs ~10 ms warm and ~150 ms cold,
        // which a model that is never saved should not pay. Building only runs our own fixed code on
        // validated parameters, so it does not fail part-way through a save.
        _carrier = new Lazy<ITransformer>(() => SavedModelCarrier.Build(model, featureColumnName, featureColumnType));
    }

    /// <summary>The trained model: its layers, history and row counts.</summary>
    public GradientDescentModelParameters Model { get; }

    /// <summary>The feature column read by <see cref="Transform"/>.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The feature column's type as seen in training.</summary>
    public DataViewType FeatureColumnType { get; }

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
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return ScoringSchema.Create(inputSchema, this).OutputSchema;
    }

    /// <summary>Returns a lazy view of <paramref name="input"/> with the <c>Score</c> column; nothing is computed until it is read.</summary>
    /// <exception cref="ArgumentException">The feature column is missing or does not have the training type.</exception>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ScoringDataView(input, ScoringSchema.Create(input.Schema, this));
    }

    /// <summary>A row-to-row mapper for <paramref name="inputSchema"/>, as used by prediction engines.</summary>
    /// <exception cref="ArgumentException">The feature column is missing or does not have the training type.</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ScoringRowMapper(ScoringSchema.Create(inputSchema, this));
    }

    /// <summary>
    /// Writes the model as built-in ML.NET transformers (called by <c>mlContext.Model.Save</c>; a model with a module type the
    /// save format cannot describe throws <see cref="NotSupportedException"/> naming it);
    /// <see cref="GradientDescentModel.Load"/> turns them back into this type, <c>mlContext.Model.Load</c>
    /// returns them as they are (identical scores, slower).
    /// </summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)_carrier.Value).Save(ctx);
}
