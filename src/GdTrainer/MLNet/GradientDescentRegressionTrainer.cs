namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Runtime;

/// <summary>
/// Trains a linear regression model <c>Score = Bias + dot(Features, Weights)</c> by mini-batch
/// gradient descent on the mean squared error, with the GdTrainer autograd engine. Create it with
/// <c>mlContext.Regression.Trainers.GradientDescent(...)</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>Characteristic</term><description>Value</description></listheader>
/// <item><term>Machine learning task</term><description>Regression</description></item>
/// <item><term>Is normalization required?</term><description>Yes: gradient descent with one learning rate for all features needs features on similar scales (e.g. <c>NormalizeMeanVariance</c>).</description></item>
/// <item><term>Is caching required?</term><description>No: the columns are read once into memory.</description></item>
/// <item><term>Input columns</term><description>Label: Single. Features: known-size vector of Single, or Single. Optional example weight: Single.</description></item>
/// <item><term>Output columns</term><description>Score: Single.</description></item>
/// </list>
/// Training reads the data with one cursor pass, then runs <see cref="Options.NumberOfEpochs"/>
/// passes over shuffled mini-batches: the model (<see cref="LinearModel"/>), the loss
/// (<see cref="MeanSquaredErrorLoss"/>) and the optimizer (<see cref="SgdOptimizer"/>) are separate pieces.
/// </remarks>
public sealed class GradientDescentRegressionTrainer : IEstimator<GradientDescentRegressionTransformer>
{
    private readonly Options _options;
    private readonly IHost? _host;

    /// <summary>Creates the trainer; prefer <c>mlContext.Regression.Trainers.GradientDescent(options)</c>.</summary>
    /// <param name="options">The options; copied, so later changes to the object have no effect.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it and its value.</exception>
    /// <exception cref="ArgumentException">A column name is empty.</exception>
    public GradientDescentRegressionTrainer(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
        _host = _options.MLContext is { } context ? ((IHostEnvironment)context).Register(nameof(GradientDescentRegressionTrainer)) : null;
    }

    /// <summary>The options this trainer was created with (a copy).</summary>
    public Options TrainerOptions => _options.Clone();

    /// <summary>
    /// Checks the input columns and describes the output: the input columns plus a Single <c>Score</c> column.
    /// </summary>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type; the message names the column, the type found and the type needed.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        ColumnChecks.CheckFeatures(inputSchema, _options.FeatureColumnName, nameof(inputSchema));
        ColumnChecks.CheckSingle(inputSchema, _options.LabelColumnName, "label", nameof(inputSchema));
        if (_options.ExampleWeightColumnName is { } weightName)
        {
            ColumnChecks.CheckSingle(inputSchema, weightName, "example weight", nameof(inputSchema));
        }

        return SchemaShapes.Append(inputSchema, SchemaShapes.Score);
    }

    /// <summary>Reads the training columns and trains the model.</summary>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type.</exception>
    /// <exception cref="InvalidOperationException">No row is usable, or the loss became NaN or infinite (the message names the epoch).</exception>
    /// <exception cref="OperationCanceledException"><see cref="Options.CancellationToken"/> was cancelled.</exception>
    public GradientDescentRegressionTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        DataViewSchema schema = input.Schema;
        (DataViewSchema.Column featureColumn, int featureCount) = ColumnChecks.CheckFeatures(schema, _options.FeatureColumnName, nameof(input));
        DataViewSchema.Column labelColumn = ColumnChecks.CheckSingle(schema, _options.LabelColumnName, "label", nameof(input));
        DataViewSchema.Column? weightColumn = _options.ExampleWeightColumnName is { } weightName
            ? ColumnChecks.CheckSingle(schema, weightName, "example weight", nameof(input))
            : null;

        CancellationToken cancellationToken = _options.CancellationToken;
        cancellationToken.ThrowIfCancellationRequested();
        using IChannel? channel = _host?.Start("Training");
        ILogger? logger = _options.Logger ?? _options.LoggerFactory?.CreateLogger<GradientDescentRegressionTrainer>();

        using TrainingData data = TrainingData.Read(input, featureColumn, featureCount, labelColumn, weightColumn, cancellationToken);
        long total = data.RowCount + data.SkippedRows;
        if (data.SkippedRows > 0)
        {
            if (logger is not null)
            {
                TrainerLog.RowsSkipped(logger, data.SkippedRows, total);
            }

            channel?.Warning(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
                $"GradientDescent skipped {data.SkippedRows} of {total} rows whose label, features or weight were NaN or infinite (or whose example weight was not positive)."));
        }

        if (data.RowCount == 0)
        {
            throw new InvalidOperationException(total == 0
                ? "GradientDescent got no rows to train on: the input data view is empty."
                : $"GradientDescent has no usable rows: all {total} rows have a NaN or infinite label, feature or example weight (or a weight that is not positive). Clean or impute the data first (e.g. mlContext.Transforms.ReplaceMissingValues).");
        }

        float[]? featureMeans = _options.CenterFeatures ? data.FeatureMeans() : null;
        int seed = _options.Seed ?? _host?.Rand.Next() ?? Random.Shared.Next();
        var model = new LinearModel(featureCount);
        var groups = new[]
        {
            new ParameterGroup(model.NamedParameters().Where(p => p.Kind == ParameterKind.Weight).Select(p => p.Value), _options.L2Regularization),
            new ParameterGroup(model.NamedParameters().Where(p => p.Kind != ParameterKind.Weight).Select(p => p.Value)),
        };
        var loop = new MiniBatchLoop(model, new MeanSquaredErrorLoss(), new SgdOptimizer(groups, _options.LearningRate), data, _options.BatchSize, _options.Shuffle, seed,
            _options.LearningRateSchedule, _options.NumberOfEpochs, featureMeans);

        int epochs = _options.NumberOfEpochs;
        if (logger is not null)
        {
            TrainerLog.TrainingStarted(logger, data.RowCount, featureCount, epochs, Math.Min(_options.BatchSize, data.RowCount), _options.LearningRate);
        }

        var history = new float[epochs];
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            float loss = loop.RunEpoch(epoch, cancellationToken);
            history[epoch - 1] = loss;
            if (epoch == 1 || epoch == epochs || epoch % _options.LossLoggingInterval == 0)
            {
                TimeSpan elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                if (logger is not null)
                {
                    TrainerLog.EpochCompleted(logger, epoch, epochs, loss, loop.CurrentLearningRate, elapsed);
                }

                channel?.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
                    $"Epoch {epoch}/{epochs}: training loss {loss:G6}, learning rate {loop.CurrentLearningRate:G6}, elapsed {elapsed.TotalMilliseconds:F1} ms"));
            }
        }

        // Trained on x - mean: w . (x - mean) + b = w . x + (b - w . mean).
        float bias = model.Bias.Item();
        if (featureMeans is not null)
        {
            bias -= System.Numerics.Tensors.TensorPrimitives.Dot<float>(model.Weights.Data, featureMeans);
        }

        var parameters = new GradientDescentLinearModelParameters(model.Weights.Data, bias, history);
        return new GradientDescentRegressionTransformer(parameters, _options.FeatureColumnName, featureColumn.Type);
    }

    /// <summary>
    /// The options of <see cref="GradientDescentRegressionTrainer"/>. Defaults suit features normalised
    /// to zero mean and unit variance.
    /// </summary>
    public sealed class Options
    {
        /// <summary>A <see cref="BatchSize"/> that means full-batch gradient descent: one step per epoch over all rows.</summary>
        public const int FullBatch = int.MaxValue;

        /// <summary>The label column: Single. Default: <c>"Label"</c>.</summary>
        public string LabelColumnName = "Label";

        /// <summary>The feature column: a known-size vector of Single, or a Single scalar. Default: <c>"Features"</c>.</summary>
        public string FeatureColumnName = "Features";

        /// <summary>
        /// The optional example-weight column (Single, positive): the loss becomes <c>sum(w_i r_i^2) / sum(w_i)</c>.
        /// Rows with a weight that is zero, negative, NaN or infinite are skipped. Default: null (every row weighs 1).
        /// </summary>
        public string? ExampleWeightColumnName;

        /// <summary>
        /// The SGD step size (must be positive and finite). Default: 0.1. With standardised features the
        /// mean-squared-error Hessian <c>2 X^T X / n</c> has eigenvalues around 2 (more for correlated
        /// features), and plain gradient descent is stable below <c>2 / largest eigenvalue</c>; 0.1 converges
        /// in a few epochs with a safety margin of about 10x for mini-batch noise and correlation.
        /// Lower it if training reports a NaN or infinite loss; raw, unnormalised features usually need far smaller values.
        /// </summary>
        public float LearningRate = 0.1f;

        /// <summary>
        /// How the learning rate changes from step to step: <see cref="LearningRateSchedule.Cosine"/> anneals
        /// it from <see cref="LearningRate"/> towards 0 over the whole run, which lets the large early steps
        /// make fast progress and the small late steps settle the mini-batch noise (ML.NET's
        /// OnlineGradientDescent also decreases its rate by default). Default: <see cref="LearningRateSchedule.Cosine"/>.
        /// The logged learning rate is the one of the epoch's last step.
        /// </summary>
        public LearningRateSchedule LearningRateSchedule = LearningRateSchedule.Cosine;

        /// <summary>
        /// Whether to train on features with their means subtracted and fold the means back into the bias
        /// afterwards. The model, its loss and its optimum are the same; what changes is how fast gradient
        /// descent gets there: with uncentred features the bias and the weights are strongly coupled and
        /// plain SGD crawls. ML.NET's <c>NormalizeMeanVariance</c> keeps zeros fixed (does not centre) by
        /// default, and one-hot columns are never centred, so this matters in ordinary pipelines. Set it to
        /// false for plain SGD on the values as given. Default: true.
        /// </summary>
        public bool CenterFeatures = true;

        /// <summary>The number of passes over the data (at least 1). Default: 10.</summary>
        public int NumberOfEpochs = 10;

        /// <summary>
        /// The number of rows per gradient step (at least 1). Default: 256. A value of at least the number
        /// of rows, such as <see cref="FullBatch"/>, gives full-batch gradient descent (one step per epoch).
        /// The last batch of an epoch holds the remaining rows.
        /// </summary>
        public int BatchSize = 256;

        /// <summary>
        /// Whether to randomise the order of training (seeded by <see cref="Seed"/>): the rows are put in a
        /// random order once, so that every mini-batch is a random sample even of sorted data, and the
        /// mini-batches are then visited in a new random order every epoch. Keeping each batch contiguous
        /// lets an epoch run over memory sequentially without copying (a per-epoch reshuffle of the rows
        /// cost more than the training arithmetic itself). Ignored for full batches, whose gradient does
        /// not depend on the order. Default: true.
        /// </summary>
        public bool Shuffle = true;

        /// <summary>
        /// The seed of the shuffling: the same seed and data give a bit-identical model. Default: null,
        /// which draws a seed from <see cref="MLContext"/>'s random source when it is set (so
        /// <c>new MLContext(seed: 1)</c> makes training reproducible, as with ML.NET's own trainers) and
        /// a random seed otherwise.
        /// </summary>
        public int? Seed;

        /// <summary>
        /// The L2 penalty coefficient λ (at least 0), PyTorch's <c>weight_decay</c> on the weights only
        /// (not the bias): each step uses the gradient of <c>loss + (λ / 2) * ||w||^2</c>, where loss is the
        /// (weighted) mean squared error over the batch. With full batches the model converges to the ridge
        /// solution of <c>(X^T W X + (λ / 2) * sum(W) * I) w = X^T W (y - b)</c> (W the example weights; 1 when none).
        /// The loss history does not include the penalty. Default: 0.
        /// </summary>
        public float L2Regularization;

        /// <summary>
        /// Log the training loss every this many epochs (at least 1); the first and the last epoch are
        /// always logged. Default: 1 (every epoch).
        /// </summary>
        public int LossLoggingInterval = 1;

        /// <summary>
        /// Receives one structured Information event per logged epoch (EventId 2, <c>EpochCompleted</c>, with
        /// <c>Epoch</c>, <c>Epochs</c>, <c>Loss</c>, <c>LearningRate</c>, <c>Elapsed</c>), a start event and a warning
        /// for skipped rows. Default: null. Takes precedence over <see cref="LoggerFactory"/>.
        /// </summary>
        public ILogger? Logger;

        /// <summary>Creates the logger when <see cref="Logger"/> is null (category <c>GdTrainer.MLNet.GradientDescentRegressionTrainer</c>). Default: null.</summary>
        public ILoggerFactory? LoggerFactory;

        /// <summary>
        /// The context whose <c>Log</c> event receives the same loss lines (source <c>GradientDescentRegressionTrainer</c>,
        /// channel <c>Training</c>), and whose random source seeds training when <see cref="Seed"/> is null. ML.NET gives
        /// third-party catalog extensions no public way to reach the context behind
        /// <c>mlContext.Regression.Trainers</c>, so pass it here. Default: null (no lines to <c>MLContext.Log</c>).
        /// </summary>
        public MLContext? MLContext;

        /// <summary>Cancels training between mini-batches (and while reading) with an <see cref="OperationCanceledException"/>. Default: none.</summary>
        public CancellationToken CancellationToken;

        internal Options Clone() => (Options)MemberwiseClone();

        internal void Validate()
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(LabelColumnName, nameof(LabelColumnName));
            ArgumentException.ThrowIfNullOrWhiteSpace(FeatureColumnName, nameof(FeatureColumnName));
            if (ExampleWeightColumnName is not null && string.IsNullOrWhiteSpace(ExampleWeightColumnName))
            {
                throw new ArgumentException("ExampleWeightColumnName must be null (no weights) or a column name, not empty.", nameof(ExampleWeightColumnName));
            }

            if (!float.IsFinite(LearningRate) || LearningRate <= 0f)
            {
                throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate,
                    $"LearningRate must be a positive finite number, but was {LearningRate.ToString(CultureInfo.InvariantCulture)}. Try 0.1 for normalised features.");
            }

            if (NumberOfEpochs < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(NumberOfEpochs), NumberOfEpochs, $"NumberOfEpochs must be at least 1, but was {NumberOfEpochs}.");
            }

            if (BatchSize < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize,
                    $"BatchSize must be at least 1, but was {BatchSize}. Use Options.FullBatch (int.MaxValue) for full-batch gradient descent.");
            }

            if (!float.IsFinite(L2Regularization) || L2Regularization < 0f)
            {
                throw new ArgumentOutOfRangeException(nameof(L2Regularization), L2Regularization,
                    $"L2Regularization must be a finite number >= 0, but was {L2Regularization.ToString(CultureInfo.InvariantCulture)}.");
            }

            if (LossLoggingInterval < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(LossLoggingInterval), LossLoggingInterval, $"LossLoggingInterval must be at least 1 (epochs), but was {LossLoggingInterval}.");
            }

            if (!Enum.IsDefined(LearningRateSchedule))
            {
                throw new ArgumentOutOfRangeException(nameof(LearningRateSchedule), LearningRateSchedule,
                    $"LearningRateSchedule must be one of {string.Join(", ", Enum.GetNames<LearningRateSchedule>())}, but was {(int)LearningRateSchedule}.");
            }
        }
    }
}
