namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;
using GdTrainer.Training;
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
/// <item><term>Is normalization required?</term><description>No: the trainer standardises the features itself (<see cref="Options.FeatureStandardization"/>) and folds that into the weights.</description></item>
/// <item><term>Is caching required?</term><description>No: the columns are read once into memory.</description></item>
/// <item><term>Input columns</term><description>Label: Single. Features: known-size vector of Single, or Single. Optional example weight: Single.</description></item>
/// <item><term>Output columns</term><description>Score: Single.</description></item>
/// </list>
/// Training reads the data with one cursor pass, then runs passes over shuffled mini-batches until the loss
/// converges (at most <see cref="Options.NumberOfEpochs"/>): the model (<see cref="LinearModel"/>), the loss
/// (<see cref="MeanSquaredErrorLoss"/>) and the optimizer (<see cref="SgdOptimizer"/>) are separate pieces.
/// </remarks>
public sealed class GradientDescentRegressionTrainer : IEstimator<GradientDescentRegressionTransformer>
{
    /// <summary>An epoch loss this many times the initial loss means that training diverged.</summary>
    private const float DivergenceFactor = 1e4f;

    /// <summary>A plateau whose last loss is this many times the best one is a rising loss, not convergence.</summary>
    private const float PlateauRiseFactor = 2f;

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
    /// <exception cref="InvalidOperationException">
    /// No row is usable, a row is unusable and <see cref="Options.InvalidRows"/> is <see cref="InvalidRowHandling.Error"/>
    /// (the message names the row, the column and the value), or training diverged (the message names the epoch).
    /// </exception>
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

        using TrainingData data = TrainingData.Read(input, featureColumn, featureCount, labelColumn, weightColumn, _options.InvalidRows, cancellationToken);
        TrainingRowCounts rowCounts = data.RowCounts;
        long total = rowCounts.Total;
        if (rowCounts.Skipped > 0)
        {
            if (logger is not null)
            {
                TrainerLog.RowsSkipped(logger, rowCounts.Skipped, total, rowCounts.NonFiniteLabel, rowCounts.InvalidWeight, rowCounts.NonFiniteFeatures);
            }

            channel?.Warning(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
                $"GradientDescent skipped {rowCounts.Skipped} of {total} rows: {rowCounts.SkippedReasons()} (counts in model.Model.RowCounts; set Options.InvalidRows = Error to fail instead)."));
        }

        if (data.RowCount == 0)
        {
            throw new InvalidOperationException(total == 0
                ? "GradientDescent got no rows to train on: the input data view is empty."
                : $"GradientDescent has no usable rows: all {total} rows were skipped ({rowCounts.SkippedReasons()}). Clean or impute the data first (e.g. mlContext.Transforms.ReplaceMissingValues).");
        }

        (double[] means, double[] variances) = data.FeatureMoments();
        (float[] minimum, float[] maximum) = data.FeatureRange();
        int seed = _options.Seed ?? _host?.Rand.Next() ?? Options.DefaultSeed;
        int batchSize = Math.Min(_options.BatchSize, data.RowCount);
        FeatureTransform? transform = FeatureTransform.Create(_options.FeatureStandardization, means, variances, minimum, maximum, Math.Sqrt(batchSize));
        FastRandom? random = _options.Shuffle && batchSize < data.RowCount ? new FastRandom(seed) : null;
        if (random is not null)
        {
            data.PermuteRows(random, transform); // Transformed while being copied: one pass instead of two.
        }
        else if (transform is not null)
        {
            data.TransformRows(transform);
        }

        float learningRate = _options.LearningRate
            ?? LearningRateEstimate.ForLinearLeastSquares(data.Features, data.Weights, data.RowCount, featureCount, batchSize);
        var model = new LinearModel(featureCount);
        using (GdTrainer.Autograd.Autograd.NoGrad())
        {
            // With centred features the optimal bias is the weighted label mean: starting there leaves only the weights to learn.
            model.Bias.Fill(transform is null ? 0f : (float)data.LabelMean);
        }

        IReadOnlyList<ParameterGroup> groups = ParameterGroup.WeightsAndBiases(model.NamedParameters(), _options.L2Regularization);
        var loop = new MiniBatchLoop(model, new MeanSquaredErrorLoss(), new SgdOptimizer(groups, learningRate), data, batchSize, random,
            _options.LearningRateSchedule, _options.NumberOfEpochs);

        int epochs = _options.NumberOfEpochs;
        if (logger is not null)
        {
            TrainerLog.TrainingStarted(logger, data.RowCount, featureCount, epochs, batchSize, learningRate);
        }

        var history = new List<float>();
        var monitor = new ConvergenceMonitor(_options.ConvergenceTolerance, _options.Patience);
        int growths = 0;
        TrainingStopReason stopReason = TrainingStopReason.EpochLimit;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            float loss;
            try
            {
                loss = loop.RunEpoch(epoch, cancellationToken);
            }
            catch (OperationCanceledException) when (history.Count > 0)
            {
                stopReason = TrainingStopReason.Cancelled; // "Train until cancelled": keep what the finished epochs learned.
                break;
            }

            history.Add(loss);
            CheckDivergence(epoch, loss, loop, model);
            bool plateau = monitor.Observe(loop.LastLoss, loop.LossNoise);
            if (plateau && loss > PlateauRiseFactor * monitor.Best)
            {
                // Epochs without improvement because the loss keeps rising: unstable, not converged.
                throw TrainingErrors.Diverged(epoch,
                    string.Create(CultureInfo.InvariantCulture, $"the training loss grew to {loss:G4}, more than {PlateauRiseFactor:G0} times its best {monitor.Best:G4}"),
                    loop.CurrentLearningRate, _options.L2Regularization);
            }

            if (plateau && _options.LearningRateSchedule == LearningRateSchedule.Adaptive && !loop.IsFullBatch && growths < Options.AdaptiveGrowths)
            {
                int previous = loop.BatchSize;
                loop.SetBatchSize((int)Math.Min((long)previous * Options.AdaptiveFactor, data.RowCount));
                growths++;
                if (logger is not null)
                {
                    TrainerLog.BatchSizeGrown(logger, epoch, previous, loop.BatchSize);
                }

                channel?.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
                    $"GradientDescent: the loss reached a plateau at epoch {epoch}; the batch grows from {previous} to {loop.BatchSize} rows"));
                monitor.Restart();
                plateau = false;
            }

            if (plateau)
            {
                stopReason = TrainingStopReason.Converged;
            }

            bool last = plateau || epoch == epochs;
            if (last || epoch == 1 || epoch % _options.LossLoggingInterval == 0)
            {
                LogEpoch(logger, channel, epoch, epochs, loss, loop.CurrentLearningRate, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            }

            if (plateau)
            {
                break;
            }
        }

        string stopped = stopReason switch
        {
            TrainingStopReason.Converged => $"converged at epoch {history.Count}",
            TrainingStopReason.Cancelled => $"cancelled after epoch {history.Count}",
            _ => $"reached the epoch limit ({epochs})",
        };
        if (logger is not null)
        {
            TrainerLog.TrainingStopped(logger, stopped, history.Count, history[^1]);
        }

        channel?.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture, $"GradientDescent {stopped}: training loss {history[^1]:G6}"));

        float[] weights = model.Weights.ToArray();
        float bias = transform?.FoldInto(weights, model.Bias.Item()) ?? model.Bias.Item();
        var parameters = new GradientDescentLinearModelParameters(weights, bias, history.ToArray(), stopReason, rowCounts);
        return new GradientDescentRegressionTransformer(parameters, _options.FeatureColumnName, featureColumn.Type);
    }

    private void CheckDivergence(int epoch, float loss, MiniBatchLoop loop, LinearModel model)
    {
        // A run that diverges slowly can stay finite for many epochs (1e9, 1e22, 1e34 ...): a loss far above where
        // training started, or weights that are no longer finite, end it with the same error as a NaN loss.
        if (loop.InitialLoss > 0 && loss > DivergenceFactor * loop.InitialLoss)
        {
            throw TrainingErrors.Diverged(epoch,
                string.Create(CultureInfo.InvariantCulture, $"the training loss grew to {loss:G4}, more than {DivergenceFactor:G0} times its initial {loop.InitialLoss:G4}"),
                loop.CurrentLearningRate, _options.L2Regularization);
        }

        if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(model.Weights.Data) || !float.IsFinite(model.Bias.Item()))
        {
            throw TrainingErrors.Diverged(epoch, "the weights are no longer finite", loop.CurrentLearningRate, _options.L2Regularization);
        }
    }

    private static void LogEpoch(ILogger? logger, IChannel? channel, int epoch, int epochs, float loss, float learningRate, TimeSpan elapsed)
    {
        if (logger is not null)
        {
            TrainerLog.EpochCompleted(logger, epoch, epochs, loss, learningRate, elapsed);
        }

        channel?.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
            $"Epoch {epoch}/{epochs}: training loss {loss:G6}, learning rate {learningRate:G6}, elapsed {elapsed.TotalMilliseconds:F1} ms"));
    }

    /// <summary>
    /// The options of <see cref="GradientDescentRegressionTrainer"/>. The defaults reach the least-squares optimum
    /// on raw features: the trainer standardises them itself, derives the learning rate from their curvature, and
    /// grows the batch at each plateau until the training loss stops improving.
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
        /// Rows with a weight that is zero, negative, NaN or infinite are skipped and counted (or an error, see <see cref="InvalidRows"/>).
        /// Default: null (every row weighs 1).
        /// </summary>
        public string? ExampleWeightColumnName;

        /// <summary>
        /// The SGD step size (positive and finite), or null to derive it from the data. Default: null. The derived rate is
        /// <c>1 / (lambda_max(H) + 2 max ||a||^2 / BatchSize)</c>, where <c>H = 2 A^T W A / sum(W)</c> is the Hessian of the
        /// mean squared error over the rows <c>a</c> as trained (after <see cref="FeatureStandardization"/>, plus the bias column),
        /// <c>lambda_max</c> estimated on up to 4,096 rows: half the largest stable full-batch step, less for small batches,
        /// where one extreme row adds <c>2 ||a||^2 / BatchSize</c> of curvature to the batch that holds it. With standardised features <c>lambda_max(H)</c> is twice the largest eigenvalue
        /// of the features' correlation matrix: 2 for uncorrelated features, 12.2 for housing.txt (so 0.16 is its largest
        /// stable full-batch rate), up to <c>2 d</c> for d strongly correlated ones. Set a value to reproduce a fixed-rate
        /// run (the seed example uses 0.01 on raw features).
        /// </summary>
        public float? LearningRate;

        /// <summary>
        /// How the learning rate and batch change: <see cref="LearningRateSchedule.Adaptive"/> keeps the rate and grows the
        /// batch tenfold at each plateau (at most 3 times, up to every row; the next plateau ends training); this removes the
        /// mini-batch noise that a constant rate leaves in the weights, so training reaches the optimum of its objective.
        /// <see cref="LearningRateSchedule.Constant"/> keeps it (PyTorch's plain loop); <see cref="LearningRateSchedule.Cosine"/>
        /// anneals it towards 0 over <see cref="NumberOfEpochs"/>, step by step. Default: <see cref="LearningRateSchedule.Adaptive"/>.
        /// The logged learning rate is the one of the epoch's last step.
        /// </summary>
        public LearningRateSchedule LearningRateSchedule = LearningRateSchedule.Adaptive;

        /// <summary>
        /// How the features are transformed for training; the transform is folded back into the weights and bias, so the model
        /// scores the raw features. <see cref="Training.FeatureStandardization.CenterAndScale"/> (standardise: centre by the
        /// weighted mean, divide by the standard deviation, leave zero-variance columns alone) makes one learning rate suit
        /// every feature and needs no normaliser in the pipeline; <see cref="Training.FeatureStandardization.Center"/> only
        /// centres; <see cref="Training.FeatureStandardization.None"/> trains on the values as given (plain SGD, as PyTorch's
        /// loop). With standardisation, the bias starts at the weighted label mean, its optimum. Note that
        /// <see cref="L2Regularization"/> then penalises the weights of the standardised features (as scikit-learn's
        /// <c>StandardScaler</c> followed by <c>Ridge</c>). Default: <see cref="Training.FeatureStandardization.CenterAndScale"/>.
        /// </summary>
        public FeatureStandardization FeatureStandardization = FeatureStandardization.CenterAndScale;

        /// <summary>
        /// The most passes over the data (at least 1); training stops earlier when it converges (see <see cref="Patience"/>).
        /// Default: 1000, enough for the adaptive schedule to converge on small, ill-conditioned data sets (housing.txt
        /// converges in a few hundred epochs of 2 steps each); large data sets converge in a few epochs.
        /// </summary>
        public int NumberOfEpochs = 1000;

        /// <summary>
        /// The relative improvement of the training loss that counts as progress (at least 0): an epoch improves when its
        /// loss is below the best so far by more than this fraction of it, and by more than the standard error of the epoch
        /// loss when that is an average of batch losses (scikit-learn's <c>tol</c>, made relative so that it does not depend
        /// on the label's units). Default: 1e-9: the noise term filters chance improvements of large data sets, and small
        /// ones, whose epoch loss is measured exactly in double, need a tolerance this tight for the weights to come within
        /// 1e-4 of the least-squares optimum (a larger one stopped housing.txt, condition number ~200, 0.02-0.2% above it).
        /// </summary>
        public float ConvergenceTolerance = 1e-9f;

        /// <summary>
        /// The number of epochs in a row without improvement (see <see cref="ConvergenceTolerance"/>) that make a plateau
        /// (scikit-learn's <c>n_iter_no_change</c>): the adaptive schedule then grows the batch, and the other schedules
        /// (or the adaptive one at its largest batch) stop training as converged. 0 disables the rule, so training runs all
        /// <see cref="NumberOfEpochs"/> (and the adaptive schedule keeps its batch). Default: 2: on 1M rows each
        /// plateau then costs 3 epochs, and the loss of an epoch of fewer than 32 steps is measured over all rows after
        /// the epoch, so that the batch order does not make plateaus appear by chance.
        /// </summary>
        public int Patience = 2;

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
        /// The seed of the shuffling: the same seed, options and data give a bit-identical model. Default: null, which
        /// draws a seed from <see cref="MLContext"/>'s random source when it is set (so <c>new MLContext(seed: 1)</c>
        /// reproduces a run, as with ML.NET's own trainers) and uses the fixed <see cref="DefaultSeed"/> otherwise: training
        /// is deterministic by default, also through the short catalog overload.
        /// </summary>
        public int? Seed;

        /// <summary>The seed used when neither <see cref="Seed"/> nor <see cref="MLContext"/> is set.</summary>
        public const int DefaultSeed = 0;

        /// <summary>The factor by which <see cref="LearningRateSchedule.Adaptive"/> grows the batch at a plateau.</summary>
        internal const int AdaptiveFactor = 10;

        /// <summary>How many times <see cref="LearningRateSchedule.Adaptive"/> grows the batch before a plateau ends training.</summary>
        internal const int AdaptiveGrowths = 3;

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

        /// <summary>
        /// What to do with a row that cannot be trained on: a NaN or infinite label or feature (a missing value read from a
        /// file is NaN), or an example weight that is NaN, infinite, zero or negative. <see cref="InvalidRowHandling.Skip"/>
        /// leaves such rows out, counts them by reason in the trained model's <see cref="GradientDescentLinearModelParameters.RowCounts"/>
        /// (<c>model.Model.RowCounts</c>) and logs a warning to <see cref="Logger"/> and <see cref="MLContext"/> when they are set;
        /// <see cref="InvalidRowHandling.Error"/> stops <c>Fit</c> with an <see cref="InvalidOperationException"/> naming the first such
        /// row (its 0-based position in the input), the column and the value. Default: <see cref="InvalidRowHandling.Skip"/>.
        /// </summary>
        public InvalidRowHandling InvalidRows = InvalidRowHandling.Skip;

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

            if (LearningRate is { } rate && (!float.IsFinite(rate) || rate <= 0f))
            {
                throw new ArgumentOutOfRangeException(nameof(LearningRate), rate,
                    $"LearningRate must be a positive finite number (or null to derive it from the data), but was {rate.ToString(CultureInfo.InvariantCulture)}.");
            }

            if (!float.IsFinite(ConvergenceTolerance) || ConvergenceTolerance < 0f)
            {
                throw new ArgumentOutOfRangeException(nameof(ConvergenceTolerance), ConvergenceTolerance,
                    $"ConvergenceTolerance must be a finite number >= 0 (a relative improvement, e.g. 1e-5), but was {ConvergenceTolerance.ToString(CultureInfo.InvariantCulture)}.");
            }

            if (Patience < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(Patience), Patience, $"Patience must be at least 0 epochs (0 disables convergence stopping), but was {Patience}.");
            }

            if (!Enum.IsDefined(FeatureStandardization))
            {
                throw new ArgumentOutOfRangeException(nameof(FeatureStandardization), FeatureStandardization,
                    $"FeatureStandardization must be one of {string.Join(", ", Enum.GetNames<FeatureStandardization>())}, but was {(int)FeatureStandardization}.");
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

            if (!Enum.IsDefined(InvalidRows))
            {
                throw new ArgumentOutOfRangeException(nameof(InvalidRows), InvalidRows,
                    $"InvalidRows must be one of {string.Join(", ", Enum.GetNames<InvalidRowHandling>())}, but was {(int)InvalidRows}.");
            }

            if (!Enum.IsDefined(LearningRateSchedule))
            {
                throw new ArgumentOutOfRangeException(nameof(LearningRateSchedule), LearningRateSchedule,
                    $"LearningRateSchedule must be one of {string.Join(", ", Enum.GetNames<LearningRateSchedule>())}, but was {(int)LearningRateSchedule}.");
            }
        }
    }
}
