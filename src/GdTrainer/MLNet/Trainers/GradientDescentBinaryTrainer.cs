namespace GdTrainer.MLNet;

using GdTrainer.Losses;
using Microsoft.ML;

/// <summary>
/// Trains a binary classifier by mini-batch gradient descent with the GdTrainer autograd engine: logistic regression (the linear
/// model <c>Score = Bias + dot(Features, Weights)</c> on the binary cross-entropy of logits) by default, a multilayer perceptron
/// with <see cref="GradientDescentTrainerOptions.HiddenLayers"/>, or any module from <see cref="GradientDescentTrainerOptions.ModelFactory"/>.
/// Create it with <c>mlContext.BinaryClassification.Trainers.GradientDescent(...)</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>Characteristic</term><description>Value</description></listheader>
/// <item><term>Machine learning task</term><description>Binary classification</description></item>
/// <item><term>Is normalization required?</term><description>No: the trainer standardises the features itself and folds that into the first layer.</description></item>
/// <item><term>Is caching required?</term><description>No: the columns are read once into memory.</description></item>
/// <item><term>Input columns</term><description>Label: Boolean. Features: known-size vector of Single (dense or sparse), or Single. Optional example weight: Single.</description></item>
/// <item><term>Output columns</term><description>PredictedLabel: Boolean. Score: Single (the logit). Probability: Single (its sigmoid).</description></item>
/// </list>
/// <para>
/// Defaults that differ from regression: the loss is <see cref="BinaryCrossEntropyWithLogitsLoss"/> (with
/// <see cref="Options.PositiveClassWeight"/>); the output bias starts at the log-odds of the (weighted) positive rate instead of
/// at 0 (the optimum of the bias while the weights are 0); for the linear model with plain SGD the learning rate is derived
/// from the data's curvature like regression's, times 8 (the cross-entropy's curvature is at most 1/8 of the squared error's),
/// divided by the positive-class weight when it is above 1. A training set whose usable rows all have the same label is an
/// error (the logit would grow without bound).
/// </para>
/// </remarks>
public sealed class GradientDescentBinaryTrainer : IEstimator<GradientDescentBinaryTransformer>
{
    private readonly Options _options;
    private readonly TrainerCore _core;

    /// <summary>Creates the trainer; prefer <c>mlContext.BinaryClassification.Trainers.GradientDescent(options)</c>.</summary>
    /// <param name="options">The options; copied, so later changes to the object have no effect.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it and its value.</exception>
    /// <exception cref="ArgumentException">A column name is empty, or two options contradict each other.</exception>
    public GradientDescentBinaryTrainer(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = (Options)options.Clone();
        _options.Validate();
        if (_options.PositiveClassWeight is float weight && !(float.IsFinite(weight) && weight > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(options), weight, "PositiveClassWeight must be positive and finite (null means 1).");
        }

        if (_options.PositiveClassWeight is not null && _options.Loss is not null)
        {
            throw new ArgumentException("PositiveClassWeight applies to the default loss only; with Options.Loss set, pass the weight to that loss (e.g. new BinaryCrossEntropyWithLogitsLoss(positiveClassWeight)).", nameof(options));
        }

        _core = new TrainerCore(_options, new BinaryTask(_options.PositiveClassWeight), nameof(GradientDescentBinaryTrainer));
    }

    /// <summary>The options this trainer was created with (a copy).</summary>
    public Options TrainerOptions => (Options)_options.Clone();

    /// <summary>Checks the input columns and describes the output: the input columns plus <c>PredictedLabel</c>, <c>Score</c> and <c>Probability</c>.</summary>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type; the message names the column, the type found and the type needed.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        _core.CheckInputShape(inputSchema);
        return SchemaShapes.Append(inputSchema, SchemaShapes.ShapesOf(BinaryColumns.Instance));
    }

    /// <summary>Reads the training columns and trains the model (validating on held-out rows when <see cref="GradientDescentTrainerOptions.ValidationFraction"/> is set).</summary>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type (the label must be Boolean; the message says how to convert it).</exception>
    /// <exception cref="InvalidOperationException">
    /// No row is usable, all usable rows have the same label, a row is unusable and <see cref="GradientDescentTrainerOptions.InvalidRows"/> is
    /// <see cref="InvalidRowHandling.Error"/>, early stopping has no validation data, or training diverged.
    /// </exception>
    /// <exception cref="OperationCanceledException"><see cref="GradientDescentTrainerOptions.CancellationToken"/> was cancelled before the first epoch ended.</exception>
    public GradientDescentBinaryTransformer Fit(IDataView input) => Fit(input, validationData: null);

    /// <summary>Trains on <paramref name="trainData"/> and measures the loss on <paramref name="validationData"/> after every epoch.</summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">The validation data, with the same feature, label and weight columns; null for none.</param>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type in either data view, or their feature counts differ.</exception>
    /// <exception cref="InvalidOperationException">As <see cref="Fit(IDataView)"/>, or the validation data has no usable row.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the first epoch ended.</exception>
    public GradientDescentBinaryTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        (GradientDescentModelParameters model, DataViewSchema.Column featureColumn) = _core.Fit(trainData, validationData);
        return new GradientDescentBinaryTransformer(model, _options.FeatureColumnName, featureColumn.Type, ProtectedColumns.FromSchema(trainData.Schema));
    }

    /// <summary>
    /// Continues training <paramref name="initialModel"/> on <paramref name="trainData"/> for <see cref="GradientDescentTrainerOptions.NumberOfEpochs"/>
    /// more epochs (warm start; see <see cref="GradientDescentRegressionTrainer.Fit(IDataView, GradientDescentRegressionTransformer)"/> for how
    /// the history, shuffles and schedules continue and why the optimizer's state restarts).
    /// </summary>
    /// <param name="trainData">The training data, with the same feature column and a Boolean label.</param>
    /// <param name="initialModel">A model trained by this trainer, in memory or loaded with <see cref="GradientDescentModel.Load"/>.</param>
    /// <exception cref="ArgumentException">
    /// The initial model does not fit: a different number of features or outputs, a different architecture, or standardisation
    /// switched on or off; the message says which.
    /// </exception>
    /// <exception cref="InvalidOperationException">As <see cref="Fit(IDataView)"/>.</exception>
    public GradientDescentBinaryTransformer Fit(IDataView trainData, GradientDescentBinaryTransformer initialModel)
    {
        ArgumentNullException.ThrowIfNull(initialModel);
        (GradientDescentModelParameters model, DataViewSchema.Column featureColumn) = _core.Fit(trainData, null, initialModel.Model);
        return new GradientDescentBinaryTransformer(model, _options.FeatureColumnName, featureColumn.Type, ProtectedColumns.FromSchema(trainData.Schema));
    }

    /// <summary>
    /// The options of <see cref="GradientDescentBinaryTrainer"/>: the shared options (<see cref="GradientDescentTrainerOptions"/>)
    /// plus the positive-class weight of the default loss.
    /// </summary>
    public sealed class Options : GradientDescentTrainerOptions
    {
        /// <summary>
        /// The weight of the positive class in the default loss (PyTorch's <c>pos_weight</c> of <c>BCEWithLogitsLoss</c>), e.g.
        /// negatives / positives for an imbalanced label; positive and finite. It cannot be combined with <see cref="GradientDescentTrainerOptions.Loss"/>.
        /// Default: null (1).
        /// </summary>
        public float? PositiveClassWeight;
    }
}
