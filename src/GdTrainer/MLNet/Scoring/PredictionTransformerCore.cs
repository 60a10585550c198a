namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// What the regression, binary and multiclass transformers share: the feature column check, the output schema, the lazy
/// scored view, the row mapper for prediction engines, and the saved carrier (built by the task on first save).
/// </summary>
internal sealed class PredictionTransformerCore
{
    private readonly Lazy<ITransformer> _carrier;

    /// <param name="model">The model.</param>
    /// <param name="featureColumnName">The feature column.</param>
    /// <param name="featureColumnType">Its type.</param>
    /// <param name="columns">The output columns of the task.</param>
    /// <param name="protectedColumns">What is known of the input columns, which the saved carrier must keep (<see cref="ProtectedColumns"/>).</param>
    /// <param name="task">The task, which writes the transformer into a model file.</param>
    /// <param name="parameterName">The name of the model parameter of the public constructor, for its errors.</param>
    /// <exception cref="ArgumentException">The feature column type does not fit the model, or the model's output count is not the columns'.</exception>
    internal PredictionTransformerCore(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType, PredictionColumns columns, ProtectedColumns protectedColumns, IPredictionTask task, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(featureColumnName);
        ArgumentNullException.ThrowIfNull(featureColumnType);
        ArgumentNullException.ThrowIfNull(protectedColumns);
        int size = featureColumnType switch
        {
            VectorDataViewType { ItemType: var item, IsKnownSize: true } vector when item == NumberDataViewType.Single => vector.Size,
            _ when featureColumnType == NumberDataViewType.Single => 1,
            _ => -1,
        };
        if (model.OutputCount != columns.ModelOutputs)
        {
            throw new ArgumentException(
                $"A {task.Kind} transformer needs a model with {columns.ModelOutputs} output{(columns.ModelOutputs == 1 ? string.Empty : "s")}, but this one has {model.OutputCount}.", parameterName);
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
        Columns = columns;
        Task = task;

        // Built on first save, not in Fit: creating the built-in chain costs ~10 ms warm and ~150 ms cold,
        // which a model that is never saved should not pay. Building only runs our own fixed code on
        // validated parameters, so it does not fail part-way through a save.
        _carrier = new Lazy<ITransformer>(() => task.CreateCarrier(model, featureColumnName, featureColumnType, columns, protectedColumns));
    }

    internal GradientDescentModelParameters Model { get; }

    internal string FeatureColumnName { get; }

    internal DataViewType FeatureColumnType { get; }

    internal PredictionColumns Columns { get; }

    /// <summary>The task of the transformer.</summary>
    internal IPredictionTask Task { get; }

    internal DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return ScoringSchema.Create(inputSchema, FeatureColumnName, Model, Columns).OutputSchema;
    }

    internal IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ScoringDataView(input, ScoringSchema.Create(input.Schema, FeatureColumnName, Model, Columns));
    }

    internal IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ScoringRowMapper(ScoringSchema.Create(inputSchema, FeatureColumnName, Model, Columns));
    }

    internal void Save(ModelSaveContext ctx) => ((ICanSaveModel)_carrier.Value).Save(ctx);
}
