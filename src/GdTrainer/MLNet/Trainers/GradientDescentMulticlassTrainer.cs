namespace GdTrainer.MLNet;

using GdTrainer.Losses;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// Trains a multiclass classifier by mini-batch gradient descent with the GdTrainer autograd engine: multinomial logistic
/// regression (one linear output per class, the cross-entropy over their softmax) by default, a multilayer perceptron with
/// <see cref="GradientDescentTrainerOptions.HiddenLayers"/>, or any module from <see cref="GradientDescentTrainerOptions.ModelFactory"/>
/// (it receives the class count as its number of outputs). Create it with <c>mlContext.MulticlassClassification.Trainers.GradientDescent(...)</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>Characteristic</term><description>Value</description></listheader>
/// <item><term>Machine learning task</term><description>Multiclass classification</description></item>
/// <item><term>Is normalization required?</term><description>No: the trainer standardises the features itself and folds that into the first layer.</description></item>
/// <item><term>Is caching required?</term><description>No: the columns are read once into memory.</description></item>
/// <item><term>Input columns</term><description>Label: a key type with a known count of 2 or more (<c>MapValueToKey</c>). Features: known-size vector of Single (dense or sparse), or Single. Optional example weight: Single.</description></item>
/// <item><term>Output columns</term><description>PredictedLabel: the label's key type with its key values. Score: vector of Single, the class probabilities.</description></item>
/// </list>
/// <para>
/// Labels: key <c>k</c> is class <c>k - 1</c>; the missing key 0 makes the row unusable, so it is skipped and counted under
/// <see cref="TrainingRowCounts.NonFiniteLabel"/> (or is an error with <see cref="InvalidRowHandling.Error"/>). A key type with an
/// unknown count (0) or a single key is an <see cref="ArgumentException"/> naming the column; usable rows that all have the same class
/// are an <see cref="InvalidOperationException"/>. A class of the key type that never appears in training keeps its output (the
/// softmax stays k-way) and gets a low probability.
/// </para>
/// <para>
/// Defaults that differ from regression: the loss is <see cref="CrossEntropyLoss"/> with <see cref="Options.LabelSmoothing"/> and
/// <see cref="Options.ClassWeights"/>; the output biases start at 0; for the linear model with plain SGD the learning rate is
/// derived from the data's curvature like regression's, times 4 (the softmax cross-entropy's curvature is at most 1/4 of the
/// squared error's), times the smallest over the largest class weight.
/// </para>
/// </remarks>
public sealed class GradientDescentMulticlassTrainer : IEstimator<GradientDescentMulticlassTransformer>
{
    private readonly Options _options;
    private readonly TrainerCore _core;

    /// <summary>Creates the trainer; prefer <c>mlContext.MulticlassClassification.Trainers.GradientDescent(options)</c>.</summary>
    /// <param name="options">The options; copied, so later changes to the object have no effect.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it and its value.</exception>
    /// <exception cref="ArgumentException">A column name is empty, a class weight is invalid, or two options contradict each other.</exception>
    public GradientDescentMulticlassTrainer(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = (Options)options.Clone();
        _options.ClassWeights = (float[]?)options.ClassWeights?.Clone();
        _options.Validate();
        if ((_options.LabelSmoothing != 0f || _options.ClassWeights is not null) && _options.Loss is not null)
        {
            throw new ArgumentException("LabelSmoothing and ClassWeights apply to the default loss only; with Options.Loss set, pass them to that loss (e.g. new CrossEntropyLoss(labelSmoothing, classWeights)).", nameof(options));
        }

        var task = new MulticlassTask(_options.LabelSmoothing, _options.ClassWeights);
        _ = task.DefaultLoss; // Checks the label smoothing and the class weights now, with the loss's messages.
        _core = new TrainerCore(_options, task, nameof(GradientDescentMulticlassTrainer));
    }

    /// <summary>The options this trainer was created with (a copy).</summary>
    public Options TrainerOptions
    {
        get
        {
            var copy = (Options)_options.Clone();
            copy.ClassWeights = (float[]?)_options.ClassWeights?.Clone();
            return copy;
        }
    }

    /// <summary>Checks the input columns and describes the output: the input columns plus <c>PredictedLabel</c> (a key) and <c>Score</c> (a vector).</summary>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type; the message names the column, the type found and the type needed.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        _core.CheckInputShape(inputSchema);
        bool hasKeyValues = inputSchema.First(c => c.Name == _options.LabelColumnName).Annotations.Any(c => c.Name == ScoreAnnotations.KeyValues);
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

    /// <summary>Reads the training columns and trains the model (validating on held-out rows when <see cref="GradientDescentTrainerOptions.ValidationFraction"/> is set).</summary>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type (the label must be a key type with a known count of at least 2), or ClassWeights does not have one weight per key.</exception>
    /// <exception cref="InvalidOperationException">
    /// No row is usable, all usable rows have the same class, a row is unusable and <see cref="GradientDescentTrainerOptions.InvalidRows"/> is
    /// <see cref="InvalidRowHandling.Error"/>, early stopping has no validation data, or training diverged.
    /// </exception>
    /// <exception cref="OperationCanceledException"><see cref="GradientDescentTrainerOptions.CancellationToken"/> was cancelled before the first epoch ended.</exception>
    public GradientDescentMulticlassTransformer Fit(IDataView input) => Fit(input, validationData: null);

    /// <summary>Trains on <paramref name="trainData"/> and measures the loss on <paramref name="validationData"/> after every epoch.</summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">The validation data, with the same feature, label (same key type) and weight columns; null for none.</param>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type in either data view, or their feature counts differ.</exception>
    /// <exception cref="InvalidOperationException">As <see cref="Fit(IDataView)"/>, or the validation data has no usable row.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the first epoch ended.</exception>
    public GradientDescentMulticlassTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        (GradientDescentModelParameters model, DataViewSchema.Column featureColumn) = _core.Fit(trainData, validationData);
        DataViewSchema.Column label = trainData.Schema[_options.LabelColumnName];
        return new GradientDescentMulticlassTransformer(model, _options.FeatureColumnName, featureColumn.Type, label.Annotations, ProtectedColumns.FromSchema(trainData.Schema));
    }

    /// <summary>
    /// Continues training <paramref name="initialModel"/> on <paramref name="trainData"/> for <see cref="GradientDescentTrainerOptions.NumberOfEpochs"/>
    /// more epochs (warm start; see <see cref="GradientDescentRegressionTrainer.Fit(IDataView, GradientDescentRegressionTransformer)"/> for how
    /// the history, shuffles and schedules continue and why the optimizer's state restarts).
    /// </summary>
    /// <param name="trainData">The training data, with the same feature column and a label of the same key type and key values.</param>
    /// <param name="initialModel">A model trained by this trainer, in memory or loaded with <see cref="GradientDescentModel.Load"/>.</param>
    /// <exception cref="ArgumentException">
    /// The initial model does not fit: a different number of features or outputs (classes), different key values of the label (the label mapping), a different architecture, or standardisation
    /// switched on or off; the message says which.
    /// </exception>
    /// <exception cref="InvalidOperationException">As <see cref="Fit(IDataView)"/>.</exception>
    public GradientDescentMulticlassTransformer Fit(IDataView trainData, GradientDescentMulticlassTransformer initialModel)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        ArgumentNullException.ThrowIfNull(initialModel);
        DataViewSchema.Column? label = trainData.Schema.GetColumnOrNull(_options.LabelColumnName);
        if (label is { Type: KeyDataViewType key } && key.Count == (ulong)initialModel.ClassCount && initialModel.ClassNames is { } trained)
        {
            var current = new GradientDescentMulticlassTransformer(initialModel.Model, _options.FeatureColumnName, initialModel.FeatureColumnType, label.Value.Annotations).ClassNames;
            if (current is null || !current.SequenceEqual(trained))
            {
                throw new ArgumentException(
                    $"The label column '{_options.LabelColumnName}' maps its keys to [{string.Join(", ", current ?? [])}], but the initial model was trained with [{string.Join(", ", trained)}]: the label mapping differs. Fit the MapValueToKey of the first training run and reuse it.",
                    nameof(initialModel));
            }
        }

        (GradientDescentModelParameters model, DataViewSchema.Column featureColumn) = _core.Fit(trainData, null, initialModel.Model);
        return new GradientDescentMulticlassTransformer(model, _options.FeatureColumnName, featureColumn.Type, trainData.Schema[_options.LabelColumnName].Annotations, ProtectedColumns.FromSchema(trainData.Schema));
    }

    /// <summary>
    /// The options of <see cref="GradientDescentMulticlassTrainer"/>: the shared options (<see cref="GradientDescentTrainerOptions"/>)
    /// plus the label smoothing and class weights of the default loss.
    /// </summary>
    public sealed class Options : GradientDescentTrainerOptions
    {
        /// <summary>
        /// PyTorch's <c>label_smoothing</c> of <c>CrossEntropyLoss</c>, in [0, 1]: the target becomes <c>(1 - eps) onehot + eps / k</c>.
        /// Default: 0 (none). Cannot be combined with <see cref="GradientDescentTrainerOptions.Loss"/>.
        /// </summary>
        public float LabelSmoothing;

        /// <summary>
        /// PyTorch's <c>weight</c> of <c>CrossEntropyLoss</c>: one finite non-negative weight per key of the label, in key order (copied).
        /// Default: null (all 1). Cannot be combined with <see cref="GradientDescentTrainerOptions.Loss"/>.
        /// </summary>
        public float[]? ClassWeights;
    }
}
