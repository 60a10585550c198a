namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;
using GdTrainer.Training;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

/// <summary>
/// What every GdTrainer trainer does around the training loop: checks the columns, reads them into a
/// <see cref="TrainingSource"/>, standardises the features, resolves the options' model-dependent defaults into
/// <see cref="TrainerSettings"/>, builds the model and hands it to the <see cref="ModuleTrainer"/>, adapting its logging to
/// <c>MLContext.Log</c>; then wraps the result as the fitted parameters. The task (<see cref="ITrainingTask"/>) supplies what
/// differs: the label, the outputs, the default loss.
/// </summary>
internal sealed class TrainerCore
{
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
        if (_options.Communicator is not { Size: > 1 } communicator)
        {
            return FitCore(input, validationInput, initialModel);
        }

        try
        {
            return FitCore(input, validationInput, initialModel);
        }
        catch (Exception error) when (error is not CommunicatorException && !communicator.IsFailed)
        {
            // A bad column or an unreadable row on one rank: the others are (or will be) waiting in a collective.
            communicator.Fail($"{error.GetType().Name}: {error.Message}");
            throw;
        }
    }

    private (GradientDescentModelParameters Model, DataViewSchema.Column FeatureColumn) FitCore(
        IDataView input, IDataView? validationInput, GradientDescentModelParameters? initialModel)
    {
        ArgumentNullException.ThrowIfNull(input);
        DataViewSchema schema = input.Schema;
        (DataViewSchema.Column featureColumn, int featureCount) = ColumnChecks.CheckFeatures(schema, _options.FeatureColumnName, nameof(input));
        DataViewSchema.Column labelColumn = _task.CheckLabel(schema, _options.LabelColumnName, nameof(input));
        DataViewSchema.Column? weightColumn = _options.ExampleWeightColumnName is { } weightName
            ? ColumnChecks.CheckSingle(schema, weightName, "example weight", nameof(input))
            : null;
        // The ranks of a data-parallel run stop together at an epoch's end (ModuleTrainer): a read that one rank cancelled alone
        // would leave the others waiting, so their reads do not watch the token.
        CancellationToken cancellationToken = _options.Communicator is { Size: > 1 } ? CancellationToken.None : _options.CancellationToken;
        cancellationToken.ThrowIfCancellationRequested();
        using IChannel? channel = _host?.Start("Training");
        ILogger? logger = _options.Logger ?? _options.LoggerFactory?.CreateLogger(_loggerCategory);

        MemoryBudget budget = MemoryBudget.Of(_options.Streaming, _options.MemoryBudgetBytes);
        (TrainingSource? source, TrainingRowCounts rowCounts) = DataViewReader.Read(
            input, featureColumn, featureCount, labelColumn, weightColumn, _options.InvalidRows, budget, "training", cancellationToken, _task.LabelGetter);
        ReportSkippedRows(rowCounts, logger, channel, "training");
        if (source is null)
        {
            throw new InvalidOperationException(rowCounts.Total == 0
                ? "GradientDescent got no rows to train on: the input data view is empty."
                : $"GradientDescent has no usable rows: all {rowCounts.Total} rows were skipped ({rowCounts.SkippedReasons()}). Clean or impute the data first (e.g. mlContext.Transforms.ReplaceMissingValues).");
        }

        _task.CheckTrainingLabels(source.Statistics.Labels, labelColumn);
        int outputs = _task.OutputCount(labelColumn);
        if (initialModel is not null)
        {
            CheckInitialModel(initialModel, featureCount, outputs);
        }

        int seed = _options.Seed ?? _host?.Rand.Next() ?? GradientDescentTrainerOptions.DefaultSeed;
        if (_options.Seed is null && _options.Communicator is { Size: > 1 } ranks)
        {
            // Without a seed each rank's MLContext may draw another: take rank 0's, so that the ranks start from the same model.
            Span<int> shared = [seed];
            ranks.Broadcast(shared, root: 0);
            seed = shared[0];
        }

        // The classes when the loss is the classification task's own log-loss (the sparse stopping rule's floor), else null.
        int? classes = _options.Loss is null && _task.DefaultLoss is BinaryCrossEntropyWithLogitsLoss or CrossEntropyLoss ? Math.Max(outputs, 2) : null;
        TrainerSettings settings = ResolveSettings(seed, validationInput is not null, source.RowCount, source is SparseTrainingSource, classes, LabelFingerprint(labelColumn), logger, channel);
        int trainingRows = Math.Max(source.RowCount - settings.ValidationRowsOf(source.RowCount), 1);
        int batchSize = Math.Min(settings.BatchSize, trainingRows);
        ReportPlacement(budget.Describe(source, "training", batchSize), logger, channel);

        // A warm start keeps the standardisation its parameters were trained behind; a new one would change their meaning.
        FeatureStatistics statistics = source.Statistics;
        FeatureTransform? transform = initialModel is not null
            ? initialModel.Standardization
            : source is SparseTrainingSource
                ? FeatureTransform.CreateForSparse(SparseStandardization(), statistics, Math.Sqrt(batchSize), $"the feature column '{featureColumn.Name}'")
                : FeatureTransform.Create(_options.FeatureStandardization, statistics.Means, statistics.Variances, statistics.Minimum, statistics.Maximum, Math.Sqrt(batchSize), $"the feature column '{featureColumn.Name}'");
        if (initialModel is null && transform is not null && AppliesDefaultPenalty(settings))
        {
            // The default penalty acts per unit on indicator columns (DefaultRegularization): they are centred, not scaled.
            transform = DefaultRegularization.WithIndicatorsPerUnit(transform, statistics);
        }

        if (transform is not null)
        {
            source.Standardize(transform); // Applied while the rows are shuffled: one pass instead of two.
        }

        TrainingSource? validation = validationInput is null ? null
            : ReadValidation(validationInput, featureCount, transform, budget.After(budget.BytesHeldBy(source)), logger, channel, cancellationToken);
        Module model = CreateModel(featureCount, outputs, seed);
        if (initialModel is not null)
        {
            ContinueFrom(model, initialModel);
        }
        else if (transform is not null && outputs == 1 && _task.InitialOutputBias(statistics.LabelMean) is float initialBias)
        {
            StartOutputBiasAt(model, initialBias);
        }

        Loss loss = _options.Loss ?? _task.DefaultLoss;
        TrainingResult result = new ModuleTrainer(settings).Fit(model, loss, source, validation, initialModel?.History);
        return (new GradientDescentModelParameters(result.Model, transform, result.History, rowCounts), featureColumn);
    }

    /// <summary>
    /// The options with every model-dependent default resolved (see <see cref="GradientDescentTrainerOptions"/>'s table), as the
    /// training loop's settings; logged once per <c>Fit</c> at debug level.
    /// </summary>
    private TrainerSettings ResolveSettings(int seed, bool hasValidationData, int rowCount, bool sparse, int? classes, ulong labelFingerprint, ILogger? logger, IChannel? channel)
    {
        bool linear = IsLinear;
        var settings = new TrainerSettings
        {
            Optimizer = _options.Optimizer ?? (linear ? OptimizerSettings.Sgd() : OptimizerSettings.Adam()),
            LearningRate = _options.LearningRate,
            LearningRateSchedule = _options.LearningRateSchedule ?? (linear ? LearningRateSchedule.Adaptive : LearningRateSchedule.Constant),
            LearningRateScheduler = _options.LearningRateScheduler,
            MaxGradientNorm = _options.MaxGradientNorm,
            L2Regularization = _options.L2Regularization ?? 0f,
            NumberOfEpochs = _options.NumberOfEpochs ?? (linear ? 1000 : 200),
            ConvergenceTolerance = _options.ConvergenceTolerance ?? (linear ? _task.LinearConvergenceTolerance : 1e-4f),
            Patience = _options.Patience ?? (linear ? 2 : 10),
            BatchSize = _options.BatchSize,
            Shuffle = _options.Shuffle,
            Seed = seed,
            ValidationFraction = hasValidationData ? 0f : _options.ValidationFraction ?? 0f,
            EarlyStopping = _options.EarlyStopping,
            Progress = _options.Progress,
            LossLoggingInterval = _options.LossLoggingInterval,
            Logger = logger,
            CancellationToken = _options.CancellationToken,
            NumberOfThreads = _options.NumberOfThreads ?? ThreadsPerRank(_options.Communicator),
            Observer = channel is null ? null : new ChannelObserver(channel),
            Communicator = _options.Communicator,
            CallerFingerprint = labelFingerprint,
        };
        if (sparse && !hasValidationData && _options.ValidationFraction is null && _options.EarlyStopping is null)
        {
            // Sparse, wide rows (text) are nearly separable: the training loss keeps falling long after the held-out loss has
            // turned, so watch held-out rows instead (see SparseEarlyStopping).
            settings.ValidationFraction = SparseEarlyStopping.ValidationFraction;
            settings.EarlyStopping = SparseEarlyStopping.Create(classes);
        }

        if (_options.L2Regularization is null && linear)
        {
            settings.L2Regularization = _task.DefaultLinearL2(Math.Max(rowCount - settings.ValidationRowsOf(rowCount), 1));
        }

        if (logger is not null)
        {
            TrainerLog.ResolvedOptions(logger, settings.ToString());
        }

        return settings;
    }

    /// <summary>
    /// How sparse rows are standardised: as the options say for the linear model; a network's columns are only centred when the
    /// options ask to centre and scale. Scaling a rare column by its standard deviation multiplies it by up to the cap (16 for
    /// batches of 256): that speeds the linear model up and sharpens it on text (20,000 generated reviews: held-out AUC 0.883
    /// against 0.851 unscaled), but a network's first layer then fits the rare columns at once (AUC 0.862, against 0.882 centred
    /// only; on generated sparse rows 0.810 against 0.849); docs/benchmarks.md, issue 18.
    /// </summary>
    private FeatureStandardization SparseStandardization() =>
        !IsLinear && _options.FeatureStandardization == FeatureStandardization.CenterAndScale ? FeatureStandardization.Center : _options.FeatureStandardization;

    /// <summary>
    /// The threads each rank of a data-parallel run uses when the options set none: the machine's cores divided by the ranks on it
    /// (MPICH's <c>MPI_LOCALNRANKS</c>, Open MPI's <c>OMPI_COMM_WORLD_LOCAL_SIZE</c>, else every rank of an in-process group), so
    /// that ranks sharing a machine do not oversubscribe its cores; null (every core) without a communicator.
    /// </summary>
    private static int? ThreadsPerRank(Communicator? communicator)
    {
        if (communicator is not { Size: > 1 })
        {
            return null;
        }

        string? local = Environment.GetEnvironmentVariable("MPI_LOCALNRANKS") ?? Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE");
        int onThisMachine = int.TryParse(local, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count > 0
            ? count
            : communicator is InProcessCommunicator ? communicator.Size : 1;
        return Math.Max(1, Environment.ProcessorCount / onThisMachine);
    }

    /// <summary>
    /// A hash of the label column's type and key values (the class names of a multiclass label, as <c>MapValueToKey</c> fitted them
    /// on this rank's data): ranks whose keys differ would train the same output on different classes.
    /// </summary>
    private static ulong LabelFingerprint(DataViewSchema.Column labelColumn)
    {
        var text = new System.Text.StringBuilder(labelColumn.Type.ToString());
        if (labelColumn.Type is KeyDataViewType
            && labelColumn.Annotations.Schema.GetColumnOrNull(ScoreAnnotations.KeyValues)?.Type is VectorDataViewType { ItemType: TextDataViewType })
        {
            VBuffer<ReadOnlyMemory<char>> keys = default;
            labelColumn.GetKeyValues(ref keys);
            foreach (ReadOnlyMemory<char> key in keys.DenseValues())
            {
                text.Append('\u001f').Append(key.Span);
            }
        }

        return System.IO.Hashing.XxHash64.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(text.ToString().AsSpan()));
    }

    /// <summary>Whether the run trains with the task's default L2 penalty (the options set none, and the task's default is positive).</summary>
    private bool AppliesDefaultPenalty(TrainerSettings settings) => _options.L2Regularization is null && IsLinear && settings.L2Regularization > 0f;

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

    private TrainingSource ReadValidation(IDataView validationInput, int featureCount, FeatureTransform? transform, MemoryBudget budget, ILogger? logger, IChannel? channel, CancellationToken cancellationToken)
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
        (TrainingSource? validation, TrainingRowCounts rowCounts) = DataViewReader.Read(
            validationInput, featureColumn, featureCount, labelColumn, weightColumn, _options.InvalidRows, budget, "validation", cancellationToken, _task.LabelGetter);
        ReportSkippedRows(rowCounts, logger, channel, "validation");
        if (validation is null)
        {
            throw new InvalidOperationException("GradientDescent has no usable validation rows: the validation data view is empty or every row was skipped.");
        }

        ReportPlacement(budget.Describe(validation, "validation", _options.BatchSize), logger, channel);

        if (transform is not null)
        {
            validation.Standardize(transform);
        }

        return validation;
    }

    /// <summary>Logs where the rows of one data view went (in memory or streamed, and why), once per data view and <c>Fit</c>.</summary>
    private static void ReportPlacement(string placement, ILogger? logger, IChannel? channel)
    {
        if (logger is not null)
        {
            TrainerLog.DataPlacement(logger, placement);
        }

        channel?.Info(MessageSensitivity.None, placement);
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
}
