namespace GdTrainer.MLNet;

using Microsoft.ML;

/// <summary>
/// What the GdTrainer trainers share: they copy and check their options, read the training columns, train the model by
/// mini-batch gradient descent and wrap it in their task's transformer. The task (regression, binary or multiclass
/// classification) is the one thing that differs: the label's type, the default loss, the output columns. Use the sealed
/// trainers (<see cref="GradientDescentRegressionTrainer"/>, <see cref="GradientDescentBinaryTrainer"/>,
/// <see cref="GradientDescentMulticlassTrainer"/>); this class cannot be derived from outside GdTrainer.
/// </summary>
/// <typeparam name="TTransformer">The transformer the trainer creates.</typeparam>
/// <typeparam name="TOptions">The trainer's options.</typeparam>
public abstract class GradientDescentTrainerBase<TTransformer, TOptions> : IEstimator<TTransformer>
    where TTransformer : class, ISingleFeaturePredictionTransformer<GradientDescentModelParameters>
    where TOptions : GradientDescentTrainerOptions
{
    private readonly TOptions _options;
    private readonly LearningTask<TTransformer> _task;
    private readonly TrainerCore _core;

    /// <summary>Copies and checks the options, then creates the task from the copy.</summary>
    /// <param name="options">The options; copied, so later changes to the object have no effect.</param>
    /// <param name="createTask">The trainer's task for the copied options, after the checks of the options only that trainer has.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it and its value.</exception>
    /// <exception cref="ArgumentException">A column name is empty, or two options contradict each other.</exception>
    private protected GradientDescentTrainerBase(TOptions options, Func<TOptions, LearningTask<TTransformer>> createTask)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = (TOptions)options.Clone();
        _options.Validate();
        _task = createTask(_options);
        _core = new TrainerCore(_options, _task, GetType().Name);
    }

    /// <summary>The options this trainer was created with (a copy).</summary>
    public TOptions TrainerOptions => (TOptions)_options.Clone();

    /// <summary>
    /// Checks the input columns and describes the output: the input columns plus those the trainer's transformer appends
    /// (regression: a Single <c>Score</c>; binary classification: <c>PredictedLabel</c>, <c>Score</c> and <c>Probability</c>;
    /// multiclass classification: <c>PredictedLabel</c>, a key, and <c>Score</c>, a vector).
    /// </summary>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type; the message names the column, the type found and the type needed.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        _core.CheckInputShape(inputSchema);
        return _task.AppendOutputShapes(inputSchema, _options.LabelColumnName);
    }

    /// <summary>Reads the training columns and trains the model (validating on held-out rows when <see cref="GradientDescentTrainerOptions.ValidationFraction"/> is set).</summary>
    /// <exception cref="ArgumentException">
    /// A column is missing or has the wrong type (the label must be a Single for regression, a Boolean for binary classification,
    /// where the message says how to convert it, and a key type with a known count of at least 2 for multiclass classification),
    /// or, for multiclass classification, ClassWeights does not have one weight per key.
    /// </exception>
    /// <exception cref="InvalidOperationException">
    /// No row is usable, all usable rows have the same label or class (classification), a row is unusable and
    /// <see cref="GradientDescentTrainerOptions.InvalidRows"/> is <see cref="InvalidRowHandling.Error"/> (the message names the row,
    /// the column and the value), early stopping has no validation data, or training diverged (the message names the epoch).
    /// </exception>
    /// <exception cref="OperationCanceledException"><see cref="GradientDescentTrainerOptions.CancellationToken"/> was cancelled before the first epoch ended.</exception>
    public TTransformer Fit(IDataView input) => Fit(input, validationData: null);

    /// <summary>
    /// Trains on <paramref name="trainData"/> and measures the loss on <paramref name="validationData"/> after every epoch (as
    /// ML.NET's own trainers that take validation data); <see cref="GradientDescentTrainerOptions.EarlyStopping"/> watches it.
    /// <see cref="GradientDescentTrainerOptions.ValidationFraction"/> is ignored when validation data is given.
    /// </summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">The validation data, with the same feature, label (for multiclass, of the same key type) and weight columns; null for none.</param>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type in either data view, or their feature counts differ.</exception>
    /// <exception cref="InvalidOperationException">As <see cref="Fit(IDataView)"/>, or the validation data has no usable row.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the first epoch ended.</exception>
    public TTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        (GradientDescentModelParameters model, DataViewSchema.Column featureColumn) = _core.Fit(trainData, validationData);
        return CreateTransformer(model, featureColumn, trainData);
    }

    /// <summary>
    /// Continues training <paramref name="initialModel"/> on <paramref name="trainData"/> for <see cref="GradientDescentTrainerOptions.NumberOfEpochs"/>
    /// more epochs (ML.NET's <c>OnlineGradientDescent</c> precedent), for example on new data or after loading the model from a file.
    /// The options must build the same architecture, and the model keeps the feature standardisation it was trained with.
    /// The history goes on from the initial model's (epoch numbers continue), and the batch-order shuffles and the learning-rate
    /// schedule continue where it stopped; with the same <see cref="GradientDescentTrainerOptions.Seed"/> and data, n epochs
    /// followed by m more equal n + m epochs in one go when the optimizer keeps no state (plain SGD).
    /// The optimizer's state (momentum, Adam's moment estimates) is not saved with a model, so it restarts: Adam re-estimates its
    /// moments within its first few hundred steps, which perturbs a converged model slightly before it settles again.
    /// </summary>
    /// <param name="trainData">
    /// The training data, with the same feature column as the initial model's (and, for multiclass, a label of the same key type
    /// and key values).
    /// </param>
    /// <param name="initialModel">A model trained by this trainer, in memory or loaded with <see cref="GradientDescentModel.Load"/>.</param>
    /// <exception cref="ArgumentException">
    /// The initial model does not fit: a different number of features or outputs (classes), different key values of the label
    /// (multiclass: the label mapping), a different architecture, or standardisation switched on or off; the message says which.
    /// </exception>
    /// <exception cref="InvalidOperationException">As <see cref="Fit(IDataView)"/>.</exception>
    public TTransformer Fit(IDataView trainData, TTransformer initialModel)
    {
        _task.CheckInitialModel(trainData, initialModel, _options.LabelColumnName, _options.FeatureColumnName);
        (GradientDescentModelParameters model, DataViewSchema.Column featureColumn) = _core.Fit(trainData, null, initialModel.Model);
        return CreateTransformer(model, featureColumn, trainData);
    }

    /// <summary>The task's transformer for a model trained on <paramref name="trainData"/>, keeping what is known of its columns.</summary>
    private TTransformer CreateTransformer(GradientDescentModelParameters model, DataViewSchema.Column featureColumn, IDataView trainData) =>
        _task.CreateTransformer(model, _options.FeatureColumnName, featureColumn.Type, trainData.Schema[_options.LabelColumnName].Annotations,
            ProtectedColumns.FromSchema(trainData.Schema));
}
