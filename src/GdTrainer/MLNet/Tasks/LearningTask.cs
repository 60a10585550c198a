namespace GdTrainer.MLNet;

using GdTrainer.Losses;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// One learning task (regression, binary or multiclass classification): the one place where what differs between the tasks is
/// written. For training (<see cref="ITrainingTask"/>, read by the trainer core): the label column and how it becomes the loss's
/// target, the number of model outputs, the default loss and the defaults that follow from it. For the trainer: the output
/// columns it promises and the transformer it creates. For saving (<see cref="ISavedTaskForm"/>, read by Persistence): the steps
/// that score the task in a saved model file (its score factory) and how the restorer recognises them and rebuilds the
/// transformer. For export (<see cref="IOnnxTaskOutputs"/>): the graph outputs of its ONNX model.
/// </summary>
/// <remarks>
/// The rooms below Tasks reach a task only through the interfaces they define (Scoring through <see cref="IPredictionTask"/>, with
/// the tasks found in <see cref="PredictionTasks"/>, where <see cref="TaskInstallation"/> puts them), so none of them names a task
/// or switches on one; the sealed trainers hold their task typed by the transformer it creates. A task object carries the
/// options of its default loss (the positive-class weight; the label smoothing and class weights), which only its training
/// members read: each trainer makes its own, and <see cref="TaskInstallation"/> installs one with the default options for the
/// transformers, the saved form and the ONNX export, which do not depend on them.
/// </remarks>
/// <typeparam name="TTransformer">The transformer of the task.</typeparam>
internal abstract class LearningTask<TTransformer> : ITrainingTask, ISavedTaskForm, IOnnxTaskOutputs
    where TTransformer : class, ITransformer
{
    /// <inheritdoc/>
    public abstract PredictionKind Kind { get; }

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public abstract Loss DefaultLoss { get; }

    /// <inheritdoc/>
    public abstract float LinearConvergenceTolerance { get; }

    /// <inheritdoc/>
    public virtual IReadOnlyList<string> HelperColumns => SavedModelCarrier.HelperColumnsV2;

    /// <inheritdoc/>
    public abstract IReadOnlyList<string> OnnxOutputNames { get; }

    /// <inheritdoc/>
    public virtual int MinimumFeaturizerOpset => GradientDescentOnnx.MinimumFeaturizerOpsetVersion;

    /// <inheritdoc/>
    public abstract float? InitialOutputBias(double labelMean);

    /// <inheritdoc/>
    public abstract float DefaultLinearL2(int trainingRows);

    /// <inheritdoc/>
    public abstract void CheckLabel(SchemaShape inputSchema, string labelColumnName, string parameterName);

    /// <inheritdoc/>
    public abstract DataViewSchema.Column CheckLabel(DataViewSchema schema, string labelColumnName, string parameterName);

    /// <inheritdoc/>
    public abstract int OutputCount(DataViewSchema.Column labelColumn);

    /// <inheritdoc/>
    public abstract ValueGetter<float> LabelGetter(DataViewRow row, DataViewSchema.Column labelColumn);

    /// <inheritdoc/>
    public abstract void CheckTrainingLabels(LabelSummary labels, DataViewSchema.Column labelColumn);

    /// <summary>
    /// The trainer's output shape: <paramref name="inputSchema"/> (already checked) with the columns of the task's transformer
    /// appended, each replacing an input column of the same name.
    /// </summary>
    /// <param name="inputSchema">The trainer's input shape.</param>
    /// <param name="labelColumnName">The label column (multiclass: its key values become those of <c>PredictedLabel</c>).</param>
    internal abstract SchemaShape AppendOutputShapes(SchemaShape inputSchema, string labelColumnName);

    /// <summary>
    /// Checks the arguments of a warm start before the trainer reads any data: that there is an initial model, and what else the
    /// task needs to continue from it (multiclass: the same label mapping).
    /// </summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="initialModel">The model to continue from.</param>
    /// <param name="labelColumnName">The label column of the trainer.</param>
    /// <param name="featureColumnName">The feature column of the trainer.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The initial model does not fit the data; the message says how.</exception>
    internal virtual void CheckInitialModel(IDataView trainData, TTransformer initialModel, string labelColumnName, string featureColumnName) =>
        ArgumentNullException.ThrowIfNull(initialModel);

    /// <summary>The task's transformer for a model (trained, or rebuilt from a saved chain).</summary>
    /// <param name="model">The model.</param>
    /// <param name="featureColumnName">The feature column.</param>
    /// <param name="featureColumnType">Its type.</param>
    /// <param name="labelAnnotations">The annotations of the training label column (multiclass reads its key values), or null.</param>
    /// <param name="protectedColumns">What is known of the input columns, which the transformer's saved carrier keeps.</param>
    internal abstract TTransformer CreateTransformer(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType,
        DataViewSchema.Annotations? labelAnnotations, ProtectedColumns protectedColumns);

    /// <inheritdoc/>
    public ITransformer CreateCarrier(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType, PredictionColumns columns, ProtectedColumns protectedColumns) =>
        SavedModelCarrier.Build(this, model, featureColumnName, featureColumnType, columns, protectedColumns);

    /// <inheritdoc/>
    public abstract IReadOnlyList<Func<IDataView, ITransformer>> ScoringSteps(MLContext mlContext, PredictionColumns columns);

    /// <inheritdoc/>
    public abstract bool IsScoringOf(ITransformer[] scoring);

    /// <inheritdoc/>
    public abstract bool FitsOutputCount(int outputCount);

    /// <inheritdoc/>
    public virtual ITransformer Restore(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType, ITransformer[] scoring, DataViewSchema carrierOutput, ProtectedColumns protectedColumns) =>
        CreateTransformer(model, featureColumnName, featureColumnType, labelAnnotations: null, protectedColumns);

    /// <inheritdoc/>
    public abstract void AddOnnxOutputs(OnnxGraphWriter writer, string logits, int outputCount);
}
