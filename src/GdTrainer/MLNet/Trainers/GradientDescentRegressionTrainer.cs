namespace GdTrainer.MLNet;

using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;
using Microsoft.ML;

/// <summary>
/// Trains a regression model by mini-batch gradient descent with the GdTrainer autograd engine: the linear model
/// <c>Score = Bias + dot(Features, Weights)</c> by default, a multilayer perceptron with
/// <see cref="GradientDescentTrainerOptions.HiddenLayers"/>, or any module from <see cref="GradientDescentTrainerOptions.ModelFactory"/>,
/// on the mean squared error or any <see cref="Loss"/>. Create it with <c>mlContext.Regression.Trainers.GradientDescent(...)</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>Characteristic</term><description>Value</description></listheader>
/// <item><term>Machine learning task</term><description>Regression</description></item>
/// <item><term>Is normalization required?</term><description>No: the trainer standardises the features itself (<see cref="GradientDescentTrainerOptions.FeatureStandardization"/>) and folds that into the first layer.</description></item>
/// <item><term>Is caching required?</term><description>No: the columns are read once into memory.</description></item>
/// <item><term>Input columns</term><description>Label: Single. Features: known-size vector of Single, or Single. Optional example weight: Single.</description></item>
/// <item><term>Output columns</term><description>Score: Single.</description></item>
/// </list>
/// Training reads the data with one cursor pass, then runs passes over shuffled mini-batches until a stopping rule holds:
/// the loss converges, the validation loss stops improving (<see cref="GradientDescentTrainerOptions.EarlyStopping"/>), or
/// <see cref="GradientDescentTrainerOptions.NumberOfEpochs"/> is reached. The model (<see cref="LinearModel"/>, <see cref="Mlp"/>),
/// the loss and the optimizer (<see cref="SgdOptimizer"/>, <see cref="AdamOptimizer"/>, ...) are separate pieces.
/// </remarks>
public sealed class GradientDescentRegressionTrainer : IEstimator<GradientDescentRegressionTransformer>
{
    private readonly Options _options;
    private readonly TrainerCore _core;

    /// <summary>Creates the trainer; prefer <c>mlContext.Regression.Trainers.GradientDescent(options)</c>.</summary>
    /// <param name="options">The options; copied, so later changes to the object have no effect.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it and its value.</exception>
    /// <exception cref="ArgumentException">A column name is empty, or two options contradict each other.</exception>
    public GradientDescentRegressionTrainer(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = (Options)options.Clone();
        _options.Validate();
        _core = new TrainerCore(_options, RegressionTask.Instance, nameof(GradientDescentRegressionTrainer));
    }

    /// <summary>The options this trainer was created with (a copy).</summary>
    public Options TrainerOptions => (Options)_options.Clone();

    /// <summary>
    /// Checks the input columns and describes the output: the input columns plus a Single <c>Score</c> column.
    /// </summary>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type; the message names the column, the type found and the type needed.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        _core.CheckInputShape(inputSchema);
        return SchemaShapes.Append(inputSchema, SchemaShapes.Score);
    }

    /// <summary>Reads the training columns and trains the model (validating on held-out rows when <see cref="GradientDescentTrainerOptions.ValidationFraction"/> is set).</summary>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type.</exception>
    /// <exception cref="InvalidOperationException">
    /// No row is usable, a row is unusable and <see cref="GradientDescentTrainerOptions.InvalidRows"/> is <see cref="InvalidRowHandling.Error"/>
    /// (the message names the row, the column and the value), early stopping has no validation data, or training diverged (the message names the epoch).
    /// </exception>
    /// <exception cref="OperationCanceledException"><see cref="GradientDescentTrainerOptions.CancellationToken"/> was cancelled before the first epoch ended.</exception>
    public GradientDescentRegressionTransformer Fit(IDataView input) => Fit(input, validationData: null);

    /// <summary>
    /// Trains on <paramref name="trainData"/> and measures the loss on <paramref name="validationData"/> after every epoch (as
    /// ML.NET's own trainers that take validation data); <see cref="GradientDescentTrainerOptions.EarlyStopping"/> watches it.
    /// <see cref="GradientDescentTrainerOptions.ValidationFraction"/> is ignored when validation data is given.
    /// </summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">The validation data, with the same feature, label and weight columns; null for none.</param>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type in either data view, or their feature counts differ.</exception>
    /// <exception cref="InvalidOperationException">As <see cref="Fit(IDataView)"/>, or the validation data has no usable row.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the first epoch ended.</exception>
    public GradientDescentRegressionTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        (GradientDescentModelParameters model, Microsoft.ML.DataViewSchema.Column featureColumn) = _core.Fit(trainData, validationData);
        return new GradientDescentRegressionTransformer(model, _options.FeatureColumnName, featureColumn.Type, ProtectedColumns.FromSchema(trainData.Schema));
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
    /// <param name="trainData">The training data, with the same feature column as the initial model's.</param>
    /// <param name="initialModel">A model trained by this trainer, in memory or loaded with <see cref="GradientDescentModel.Load"/>.</param>
    /// <exception cref="ArgumentException">
    /// The initial model does not fit: a different number of features or outputs, a different architecture, or standardisation
    /// switched on or off; the message says which.
    /// </exception>
    /// <exception cref="InvalidOperationException">As <see cref="Fit(IDataView)"/>.</exception>
    public GradientDescentRegressionTransformer Fit(IDataView trainData, GradientDescentRegressionTransformer initialModel)
    {
        ArgumentNullException.ThrowIfNull(initialModel);
        (GradientDescentModelParameters model, Microsoft.ML.DataViewSchema.Column featureColumn) = _core.Fit(trainData, null, initialModel.Model);
        return new GradientDescentRegressionTransformer(model, _options.FeatureColumnName, featureColumn.Type, ProtectedColumns.FromSchema(trainData.Schema));
    }

    /// <summary>
    /// The options of <see cref="GradientDescentRegressionTrainer"/>. With the defaults (no hidden layers) the trainer reaches the
    /// least-squares optimum on raw features: it standardises them itself, derives the learning rate from their curvature, and
    /// grows the batch at each plateau until the training loss stops improving. The shared options (model, loss, optimizer,
    /// schedule, validation, early stopping, logging) are documented on <see cref="GradientDescentTrainerOptions"/>.
    /// </summary>
    public sealed class Options : GradientDescentTrainerOptions
    {
    }
}
