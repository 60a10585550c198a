namespace GdTrainer.MLNet;

using System.Diagnostics;
using System.Globalization;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;
using GdTrainer.Training;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Runtime;

/// <summary>
/// The training run every GdTrainer trainer shares: reads the columns, standardises the features, holds out validation rows,
/// builds the model, the loss, the optimizer and the scheduler from the options, runs epochs until a stopping rule holds
/// (convergence, early stopping, the epoch limit, cancellation), logs and reports every epoch, and returns the fitted
/// parameters. The task (<see cref="ITrainingTask"/>) supplies what differs: the label, the outputs, the default loss.
/// </summary>
internal sealed class TrainerCore
{
    /// <summary>An epoch loss this many times the initial loss means that training diverged.</summary>
    private const float DivergenceFactor = 1e4f;

    /// <summary>A plateau whose last loss is this many times the best one (above it by this minus 1 times its magnitude) is a rising loss, not convergence.</summary>
    private const float PlateauRiseFactor = 2f;

    private readonly GradientDescentTrainerOptions _options;
    private readonly ITrainingTask _task;
    private readonly IHost? _host;
    private readonly string _loggerCategory;

    internal TrainerCore(GradientDescentTrainerOptions options, ITrainingTask task, string trainerName)
    {
        _options = options;
        _task = task;
        _host = options.MLContext is { } context ? ((IHostEnvironment)context).Register(trainerName) : null;
        _loggerCategory = "GdTrainer.MLNet." + trainerName;
    }

    /// <summary>Whether the options describe the linear model (no hidden layers, no model factory).</summary>
    internal bool IsLinear => _options.ModelFactory is null && _options.HiddenLayers.Length == 0;

    /// <summary>The input shape check every trainer's <c>GetOutputSchema</c> starts with.</summary>
    internal void CheckInputShape(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        ColumnChecks.CheckFeatures(inputSchema, _options.FeatureColumnName, nameof(inputSchema));
        _task.CheckLabel(inputSchema, _options.LabelColumnName, nameof(inputSchema));
        if (_options.ExampleWeightColumnName is { } weightName)
        {
            ColumnChecks.CheckSingle(inputSchema, weightName, "example weight", nameof(inputSchema));
        }
    }

    /// <summary>
    /// Trains on <paramref name="input"/>, validating on <paramref name="validationInput"/> when given, starting from
    /// <paramref name="initialModel"/>'s parameters and standardisation when given (warm start).
    /// </summary>
    internal (GradientDescentModelParameters Model, DataViewSchema.Column FeatureColumn) Fit(
        IDataView input, IDataView? validationInput, GradientDescentModelParameters? initialModel = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        DataViewSchema schema = input.Schema;
        (DataViewSchema.Column featureColumn, int featureCount) = ColumnChecks.CheckFeatures(schema, _options.FeatureColumnName, nameof(input));
        DataViewSchema.Column labelColumn = _task.CheckLabel(schema, _options.LabelColumnName, nameof(input));
        DataViewSchema.Column? weightColumn = _options.ExampleWeightColumnName is { } weightName
            ? ColumnChecks.CheckSingle(schema, weightName, "example weight", nameof(input))
            : null;
        if (validationInput is null && _options.EarlyStopping is not null && _options.ValidationFraction == 0f)
        {
            throw new InvalidOperationException(
                "EarlyStopping needs validation data: set ValidationFraction (e.g. 0.1) or call Fit(trainData, validationData).");
        }

        CancellationToken cancellationToken = _options.CancellationToken;
        cancellationToken.ThrowIfCancellationRequested();
        using IChannel? channel = _host?.Start("Training");
        ILogger? logger = _options.Logger ?? _options.LoggerFactory?.CreateLogger(_loggerCategory);

        using TrainingData data = TrainingData.Read(input, featureColumn, featureCount, labelColumn, weightColumn, _options.InvalidRows, cancellationToken, _task.LabelGetter);
        TrainingRowCounts rowCounts = data.RowCounts;
        ReportSkippedRows(rowCounts, logger, channel, "training");
        if (data.RowCount == 0)
        {
            throw new InvalidOperationException(rowCounts.Total == 0
                ? "GradientDescent got no rows to train on: the input data view is empty."
                : $"GradientDescent has no usable rows: all {rowCounts.Total} rows were skipped ({rowCounts.SkippedReasons()}). Clean or impute the data first (e.g. mlContext.Transforms.ReplaceMissingValues).");
        }

        _task.CheckTrainingLabels(data.Labels.AsSpan(0, data.RowCount), labelColumn);
        (double[] means, double[] variances) = data.FeatureMoments();
        (float[] minimum, float[] maximum) = data.FeatureRange();
        int seed = _options.Seed ?? _host?.Rand.Next() ?? GradientDescentTrainerOptions.DefaultSeed;
        int validationRows = validationInput is null && _options.ValidationFraction > 0f
            ? Math.Max(1, (int)Math.Round(_options.ValidationFraction * data.RowCount))
            : 0;
        if (validationRows >= data.RowCount)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"ValidationFraction {_options.ValidationFraction} holds out {validationRows} of the {data.RowCount} usable rows and leaves none to train on. Lower it or provide more rows."));
        }

        int trainingRows = data.RowCount - validationRows;
        int batchSize = Math.Min(_options.BatchSize, trainingRows);
        if (initialModel is not null)
        {
            CheckInitialModel(initialModel, featureCount, _task.OutputCount(labelColumn));
        }

        // A warm start keeps the standardisation its parameters were trained behind; a new one would change their meaning.
        FeatureTransform? transform = initialModel is not null
            ? initialModel.Standardization
            : FeatureTransform.Create(_options.FeatureStandardization, means, variances, minimum, maximum, Math.Sqrt(batchSize));
        FastRandom? random = (_options.Shuffle && batchSize < trainingRows) || validationRows > 0 ? new FastRandom(seed) : null;
        if (random is not null)
        {
            data.PermuteRows(random, transform); // Transformed while being copied: one pass instead of two.
        }
        else if (transform is not null)
        {
            data.TransformRows(transform);
        }

        using TrainingData? validation = validationRows > 0
            ? data.SplitOffLast(validationRows)
            : validationInput is null ? null : ReadValidation(validationInput, featureCount, transform, logger, channel, cancellationToken);

        int outputs = _task.OutputCount(labelColumn);
        Module model = CreateModel(featureCount, outputs, seed);
        Loss loss = _options.Loss ?? _task.DefaultLoss;
        OptimizerSettings optimizerSettings = _options.Optimizer ?? (IsLinear ? OptimizerSettings.Sgd() : OptimizerSettings.Adam());
        Func<int, float>? derivedRate = _options.LearningRate is null && IsLinear && optimizerSettings.IsPlainSgd && _task.LinearRateFactor(loss) is float rateFactor
            ? LinearRate(rateFactor, LearningRateEstimate.CurvatureOfLinearLeastSquares(data.Features, data.Weights, data.RowCount, featureCount))
            : null;
        float learningRate = _options.LearningRate ?? derivedRate?.Invoke(batchSize) ?? optimizerSettings.DefaultLearningRate;
        if (initialModel is not null)
        {
            ContinueFrom(model, initialModel);
        }
        else if (transform is not null && outputs == 1 && _task.InitialOutputBias(data.LabelMean) is float initialBias)
        {
            StartOutputBiasAt(model, initialBias);
        }

        Optimizer optimizer = optimizerSettings.Create(ParameterGroups(model), learningRate);
        int epochs = _options.NumberOfEpochs ?? (IsLinear ? 1000 : 200);
        LearningRateSchedule schedule = _options.LearningRateSchedule ?? (IsLinear ? LearningRateSchedule.Adaptive : LearningRateSchedule.Constant);
        int stepsPerEpoch = (trainingRows + batchSize - 1) / batchSize;
        Scheduler? scheduler = _options.LearningRateScheduler?.Create(optimizer, new TrainingLength(epochs, stepsPerEpoch));
        var loop = new MiniBatchLoop(model, loss, optimizer, data, batchSize, random, schedule, epochs,
            scheduler, _options.LearningRateScheduler?.StepsEveryBatch ?? false, _options.MaxGradientNorm, derivedRate);

        if (logger is not null)
        {
            TrainerLog.TrainingStarted(logger, model.Describe(), trainingRows, featureCount, validation?.RowCount ?? 0, epochs, batchSize,
                optimizerSettings.Name, learningRate, loss.GetType().Name);
        }

        TrainingHistory? previous = initialModel?.History;
        if (previous is not null)
        {
            loop.FastForward(previous.Epochs); // The shuffles and schedules continue where the earlier run stopped.
        }

        TrainingHistory history = RunEpochs(loop, model, validation, epochs, schedule, data.RowCount, logger, channel, cancellationToken, previous);
        return (new GradientDescentModelParameters(model, transform, history, rowCounts), featureColumn);
    }

    private TrainingHistory RunEpochs(
        MiniBatchLoop loop, Module model, TrainingData? validation, int epochs, LearningRateSchedule schedule, int rowCount,
        ILogger? logger, IChannel? channel, CancellationToken cancellationToken, TrainingHistory? previous = null)
    {
        var reports = new List<EpochReport>();
        int firstEpoch = previous?.EpochsRun ?? 0;
        var monitor = new ConvergenceMonitor(_options.ConvergenceTolerance ?? (IsLinear ? _task.LinearConvergenceTolerance : 1e-4f), _options.Patience ?? (IsLinear ? 2 : 10));
        EarlyStopping? earlyStopping = _options.EarlyStopping;
        float bestValidation = float.PositiveInfinity;
        int bestEpoch = 0;
        int epochsWithoutValidationImprovement = 0;
        float[][]? bestWeights = null;
        int growths = CountBatchGrowths(previous);
        TrainingStopReason stopReason = TrainingStopReason.EpochLimit;
        long started = Stopwatch.GetTimestamp();
        for (int run = 1; run <= epochs; run++)
        {
            int epoch = firstEpoch + run;
            float loss;
            int batchSize = loop.BatchSize;
            try
            {
                loss = loop.RunEpoch(epoch, cancellationToken);
            }
            catch (OperationCanceledException) when (reports.Count > 0)
            {
                stopReason = TrainingStopReason.Cancelled; // "Train until cancelled": keep what the finished epochs learned.
                break;
            }

            CheckDivergence(epoch, loss, loop, model);
            float validationLoss = validation is null ? float.NaN : (float)loop.EvaluateLoss(validation);
            var report = new EpochReport(epoch, loss, validationLoss, loop.CurrentLearningRate, batchSize, Stopwatch.GetElapsedTime(started));
            reports.Add(report);
            _options.Progress?.Report(report);
            loop.StepSchedulerAfterEpoch(validation is null ? loop.LastLoss : validationLoss);

            bool earlyStop = false;
            if (validation is not null && float.IsFinite(validationLoss))
            {
                if (validationLoss < bestValidation - (earlyStopping?.MinDelta ?? 0f))
                {
                    bestValidation = validationLoss;
                    bestEpoch = epoch;
                    epochsWithoutValidationImprovement = 0;
                    if (earlyStopping is { RestoreBestWeights: true })
                    {
                        bestWeights = CopyParameters(model, bestWeights);
                    }
                }
                else
                {
                    epochsWithoutValidationImprovement++;
                    earlyStop = earlyStopping is not null && epochsWithoutValidationImprovement >= earlyStopping.Patience;
                }
            }

            bool plateau = monitor.Observe(loop.LastLoss, loop.LossNoise);
            // Measured from the best loss in units of its magnitude: a loss without a floor at 0 (Poisson's NLL without the
            // constant term goes negative where counts are large) is not rising because it is above twice its negative best.
            if (plateau && loss - monitor.Best > (PlateauRiseFactor - 1) * Math.Abs(monitor.Best))
            {
                // Epochs without improvement because the loss keeps rising: unstable, not converged.
                throw TrainingErrors.Diverged(epoch,
                    string.Create(CultureInfo.InvariantCulture, $"the training loss grew to {loss:G4}, far above its best {monitor.Best:G4}"),
                    loop.CurrentLearningRate, _options.L2Regularization);
            }

            if (plateau && schedule == LearningRateSchedule.Adaptive && !loop.IsFullBatch && growths < GradientDescentTrainerOptions.AdaptiveGrowths)
            {
                int previousBatchSize = loop.BatchSize;
                loop.SetBatchSize((int)Math.Min((long)previousBatchSize * GradientDescentTrainerOptions.AdaptiveFactor, rowCount));
                growths++;
                if (logger is not null)
                {
                    TrainerLog.BatchSizeGrown(logger, epoch, previousBatchSize, loop.BatchSize);
                }

                channel?.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
                    $"GradientDescent: the loss reached a plateau at epoch {epoch}; the batch grows from {previousBatchSize} to {loop.BatchSize} rows"));
                monitor.Restart();
                plateau = false;
            }

            if (plateau)
            {
                stopReason = TrainingStopReason.Converged;
            }
            else if (earlyStop)
            {
                stopReason = TrainingStopReason.EarlyStopped;
            }

            bool last = plateau || earlyStop || run == epochs;
            if (last || run == 1 || run % _options.LossLoggingInterval == 0)
            {
                LogEpoch(logger, channel, report, firstEpoch + epochs);
            }

            if (plateau || earlyStop)
            {
                break;
            }
        }

        int? restored = null;
        if (bestWeights is not null && bestEpoch != firstEpoch + reports.Count)
        {
            RestoreParameters(model, bestWeights);
            restored = bestEpoch;
        }

        if (stopReason == TrainingStopReason.EarlyStopped && logger is not null)
        {
            TrainerLog.EarlyStopped(logger, firstEpoch + reports.Count, earlyStopping!.Patience, bestEpoch, bestValidation,
                restored is null ? "" : "; its weights were restored");
        }

        var history = new TrainingHistory(previous is null ? reports : [.. previous.Epochs, .. reports], stopReason, restored);
        string stopped = history.ToString();
        if (logger is not null)
        {
            TrainerLog.TrainingStopped(logger, stopped, history.EpochsRun, reports[^1].TrainingLoss);
        }

        string best = validation is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $", best validation loss {bestValidation:G6} at epoch {bestEpoch}");
        channel?.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture, $"GradientDescent {stopped}: training loss {reports[^1].TrainingLoss:G6}{best}"));
        return history;
    }

    /// <summary>
    /// The derived rate as a function of the batch size: the small-batch term of the curvature shrinks as the adaptive schedule
    /// grows the batch, so the rate grows with it (on adult, 0.52 at 256 rows and 0.82 at 2,560: the run needs fewer epochs).
    /// </summary>
    private static Func<int, float> LinearRate(float factor, LinearCurvature curvature) => batchSize => factor * curvature.RateFor(batchSize);

    /// <summary>How many times the batch grew in an earlier run (a warm start continues the adaptive schedule's count).</summary>
    private static int CountBatchGrowths(TrainingHistory? previous)
    {
        int growths = 0;
        for (int i = 1; i < (previous?.EpochsRun ?? 0); i++)
        {
            if (previous!.Epochs[i].BatchSize > previous.Epochs[i - 1].BatchSize)
            {
                growths++;
            }
        }

        return growths;
    }

    /// <summary>Checks that a warm start's initial model fits the data and the options; the message says what differs.</summary>
    private void CheckInitialModel(GradientDescentModelParameters initial, int featureCount, int outputs)
    {
        if (initial.FeatureCount != featureCount)
        {
            throw new ArgumentException(
                $"The initial model was trained on {initial.FeatureCount} features, but the feature column '{_options.FeatureColumnName}' has {featureCount}. Continue training on data with the same featurization.",
                "initialModel");
        }

        if (initial.OutputCount != outputs)
        {
            throw new ArgumentException(
                $"The initial model has {initial.OutputCount} outputs, but this {_task.Name} data needs {outputs} (the label mapping differs). Continue training on data with the same labels.",
                "initialModel");
        }

        bool standardizes = _options.FeatureStandardization != FeatureStandardization.None;
        if (standardizes != initial.Standardization is not null)
        {
            throw new ArgumentException(
                $"The initial model was trained {(initial.Standardization is null ? "without" : "with")} feature standardisation, but the options' FeatureStandardization is {_options.FeatureStandardization}. Use the settings the model was trained with.",
                "initialModel");
        }
    }

    /// <summary>Copies the initial model's parameters into the new model, which the options must build with the same architecture.</summary>
    private static void ContinueFrom(Module model, GradientDescentModelParameters initial)
    {
        try
        {
            model.LoadStateDict(initial.Module.GetStateDict());
        }
        catch (InvalidDataException exception)
        {
            throw new ArgumentException(
                $"The initial model's architecture ({initial}) does not match the one the options build ({model.GetType().Name}): {exception.Message} Set HiddenLayers, Activation and ModelFactory as when it was trained.",
                "initialModel", exception);
        }
    }

    private TrainingData ReadValidation(IDataView validationInput, int featureCount, FeatureTransform? transform, ILogger? logger, IChannel? channel, CancellationToken cancellationToken)
    {
        DataViewSchema schema = validationInput.Schema;
        (DataViewSchema.Column featureColumn, int count) = ColumnChecks.CheckFeatures(schema, _options.FeatureColumnName, "validationData");
        if (count != featureCount)
        {
            throw new ArgumentException(
                $"The validation data's feature column '{_options.FeatureColumnName}' has {count} features, but the training data has {featureCount}. Apply the same featurization to both.",
                "validationData");
        }

        DataViewSchema.Column labelColumn = _task.CheckLabel(schema, _options.LabelColumnName, "validationData");
        DataViewSchema.Column? weightColumn = _options.ExampleWeightColumnName is { } weightName
            ? ColumnChecks.CheckSingle(schema, weightName, "example weight", "validationData")
            : null;
        TrainingData validation = TrainingData.Read(validationInput, featureColumn, featureCount, labelColumn, weightColumn, _options.InvalidRows, cancellationToken, _task.LabelGetter);
        ReportSkippedRows(validation.RowCounts, logger, channel, "validation");
        if (validation.RowCount == 0)
        {
            validation.Dispose();
            throw new InvalidOperationException("GradientDescent has no usable validation rows: the validation data view is empty or every row was skipped.");
        }

        if (transform is not null)
        {
            validation.TransformRows(transform);
        }

        return validation;
    }

    private static void ReportSkippedRows(TrainingRowCounts rowCounts, ILogger? logger, IChannel? channel, string which)
    {
        if (rowCounts.Skipped == 0)
        {
            return;
        }

        if (logger is not null)
        {
            TrainerLog.RowsSkipped(logger, rowCounts.Skipped, rowCounts.Total, rowCounts.NonFiniteLabel, rowCounts.InvalidWeight, rowCounts.NonFiniteFeatures);
        }

        channel?.Warning(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
            $"GradientDescent skipped {rowCounts.Skipped} of {rowCounts.Total} rows of the {which} data: {rowCounts.SkippedReasons()} (counts in model.Model.RowCounts; set Options.InvalidRows = Error to fail instead)."));
    }

    private Module CreateModel(int featureCount, int outputs, int seed)
    {
        if (_options.ModelFactory is { } factory)
        {
            Module created = factory(featureCount, outputs)
                ?? throw new InvalidOperationException("The ModelFactory returned null; it must return a new module for the given numbers of features and outputs.");
            if (created.Parameters().Count == 0)
            {
                throw new InvalidOperationException($"The module {created.GetType().FullName} returned by ModelFactory has no parameters to train.");
            }

            return created;
        }

        if (_options.HiddenLayers.Length > 0)
        {
            return new Mlp(featureCount, _options.HiddenLayers, outputs, _options.Activation, _options.Dropout, seed);
        }

        return outputs == 1 ? new LinearModel(featureCount) : new Linear(featureCount, outputs, generator: new Random(seed));
    }

    /// <summary>
    /// Starts the output bias at the label mean (the optimum of the bias for centred features), for models that name their
    /// <see cref="Module.OutputBias"/> (the linear model, an MLP, a <see cref="Sequential"/> ending in a <see cref="Linear"/> layer).
    /// Without it a factory-built model started near 0 and spent its first epochs on the label's offset.
    /// </summary>
    private static void StartOutputBiasAt(Module model, float value)
    {
        GdTrainer.Autograd.Tensor<float>? bias = model.OutputBias;
        if (bias is not null)
        {
            using (GdTrainer.Autograd.Autograd.NoGrad())
            {
                bias.Fill(value);
            }
        }
    }

    /// <summary>
    /// The weights in one group and the biases in another whose weight decay is 0. The weights' decay is
    /// <see cref="GradientDescentTrainerOptions.L2Regularization"/> when it is positive, else the optimizer's own (AdamW's 1e-2, 0 for the others).
    /// </summary>
    private IReadOnlyList<ParameterGroup> ParameterGroups(Module model)
    {
        var weights = new List<GdTrainer.Autograd.Tensor<float>>();
        var biases = new List<GdTrainer.Autograd.Tensor<float>>();
        foreach (ModuleParameter parameter in model.NamedParameters())
        {
            (parameter.Kind == ParameterKind.Bias ? biases : weights).Add(parameter.Value);
        }

        var groups = new List<ParameterGroup>(2);
        if (weights.Count > 0)
        {
            groups.Add(new ParameterGroup(weights, _options.L2Regularization > 0f ? _options.L2Regularization : null));
        }

        if (biases.Count > 0)
        {
            groups.Add(new ParameterGroup(biases, 0f));
        }

        return groups;
    }

    private void CheckDivergence(int epoch, float loss, MiniBatchLoop loop, Module model)
    {
        // A run that diverges slowly can stay finite for many epochs (1e9, 1e22, 1e34 ...): a loss far above where
        // training started, or parameters that are no longer finite, end it with the same error as a NaN loss.
        if (loop.InitialLoss > 0 && loss > DivergenceFactor * loop.InitialLoss)
        {
            throw TrainingErrors.Diverged(epoch,
                string.Create(CultureInfo.InvariantCulture, $"the training loss grew to {loss:G4}, more than {DivergenceFactor:G0} times its initial {loop.InitialLoss:G4}"),
                loop.CurrentLearningRate, _options.L2Regularization);
        }

        foreach (GdTrainer.Autograd.Tensor<float> parameter in model.Parameters())
        {
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(parameter.Data))
            {
                throw TrainingErrors.Diverged(epoch, "the weights are no longer finite", loop.CurrentLearningRate, _options.L2Regularization);
            }
        }
    }

    private static float[][] CopyParameters(Module model, float[][]? into)
    {
        IReadOnlyList<GdTrainer.Autograd.Tensor<float>> parameters = model.Parameters();
        into ??= new float[parameters.Count][];
        for (int i = 0; i < parameters.Count; i++)
        {
            into[i] ??= new float[parameters[i].Length];
            parameters[i].Data.CopyTo(into[i]);
        }

        return into;
    }

    private static void RestoreParameters(Module model, float[][] values)
    {
        IReadOnlyList<GdTrainer.Autograd.Tensor<float>> parameters = model.Parameters();
        using (GdTrainer.Autograd.Autograd.NoGrad())
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                values[i].CopyTo(parameters[i].Data);
            }
        }
    }

    private static void LogEpoch(ILogger? logger, IChannel? channel, EpochReport report, int epochs)
    {
        if (logger is not null)
        {
            TrainerLog.EpochCompleted(logger, report.Epoch, epochs, report.TrainingLoss, report.ValidationLoss, report.LearningRate, report.Elapsed);
        }

        string validation = report.HasValidationLoss ? string.Create(CultureInfo.InvariantCulture, $", validation loss {report.ValidationLoss:G6}") : string.Empty;
        channel?.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
            $"Epoch {report.Epoch}/{epochs}: training loss {report.TrainingLoss:G6}{validation}, learning rate {report.LearningRate:G6}, elapsed {report.Elapsed.TotalMilliseconds:F1} ms"));
    }
}
