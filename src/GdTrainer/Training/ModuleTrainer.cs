namespace GdTrainer.Training;

using System.Diagnostics;
using System.Globalization;
using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;
using Microsoft.Extensions.Logging;

/// <summary>
/// Trains a <see cref="Module"/> on a <see cref="TrainingSource"/> (a Keras <c>fit</c>, a skorch <c>NeuralNet</c>, a PyTorch
/// Lightning <c>Trainer</c> for this library's modules): it shuffles the rows, holds out validation rows when asked, runs
/// epochs of mini-batch gradient descent with the optimizer and schedule of its <see cref="TrainerSettings"/>, measures the
/// validation loss, stops at convergence, early stopping, the epoch limit or cancellation, records the history, reports
/// progress, and returns the trained model. It knows nothing of ML.NET; the ML.NET trainers read their columns into a source
/// and call it.
/// </summary>
/// <example>
/// <code>
/// var model = new Mlp(8, [32, 32], 1, seed: 1);
/// var trainer = new ModuleTrainer(new TrainerSettings { ValidationFraction = 0.2f, EarlyStopping = new EarlyStopping { Patience = 20 } });
/// TrainingResult result = trainer.Fit(model, new MeanSquaredErrorLoss(), TrainingSource.FromArrays(features, labels));
/// Console.WriteLine(result.History);   // e.g. "early-stopped at epoch 71, best epoch 51 restored"
/// </code>
/// </example>
public sealed class ModuleTrainer
{
    /// <summary>An epoch loss this many times the initial loss means that training diverged.</summary>
    private const float DivergenceFactor = 1e4f;

    /// <summary>A plateau whose last loss is this many times the best one (above it by this minus 1 times its magnitude) is a rising loss, not convergence.</summary>
    private const float PlateauRiseFactor = 2f;

    private readonly TrainerSettings _settings;

    /// <summary>Creates a trainer with <paramref name="settings"/> (copied: later changes to the object have no effect).</summary>
    /// <param name="settings">How to train; null for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it and its value.</exception>
    /// <exception cref="ArgumentException">Two settings contradict each other.</exception>
    public ModuleTrainer(TrainerSettings? settings = null)
    {
        _settings = (settings ?? new TrainerSettings()).Clone();
        _settings.Validate();
    }

    /// <summary>
    /// Trains <paramref name="model"/> in place on <paramref name="training"/> with <paramref name="loss"/>, measuring the loss on
    /// <paramref name="validation"/> after every epoch when given (else on the <see cref="TrainerSettings.ValidationFraction"/>
    /// held out of the training rows), and returns it with its history.
    /// </summary>
    /// <param name="model">The model; its <c>Forward</c> maps <c>[n, FeatureCount]</c> to <c>[n]</c> or <c>[n, outputs]</c> as the loss expects.</param>
    /// <param name="loss">The loss.</param>
    /// <param name="training">The training rows; their order is shuffled in place.</param>
    /// <param name="validation">Validation rows with the same features, or null.</param>
    /// <param name="continueFrom">
    /// The history of an earlier run of this model to continue (a warm start): epochs are numbered on, and the shuffles and the
    /// schedule continue where it stopped, so that n epochs and then m more equal n + m in one go (with an optimizer without state).
    /// </param>
    /// <returns>The trained model (in evaluation mode) and its history.</returns>
    /// <exception cref="ArgumentException">The validation rows have a different number of features than the training rows.</exception>
    /// <exception cref="InvalidOperationException">
    /// Early stopping has no validation data; the validation fraction leaves no training row; training diverged (the message
    /// names the epoch, how it showed and what to change); no learning rate can be derived from the features; training moved no weight;
    /// or the rows of a streamed source could not be read, or were not those of its first pass (the message names the source and the
    /// epoch, and the data's own exception is the inner one: no model comes back trained on part of an epoch).
    /// </exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before the first epoch ended.</exception>
    public TrainingResult Fit(Module model, Loss loss, TrainingSource training, TrainingSource? validation = null, TrainingHistory? continueFrom = null)
    {
        if (_settings.Communicator is not { Size: > 1 } communicator)
        {
            return FitCore(model, loss, training, validation, continueFrom);
        }

        try
        {
            return FitCore(model, loss, training, validation, continueFrom);
        }
        catch (Exception error) when (error is not CommunicatorException && !communicator.IsFailed)
        {
            // The other ranks are waiting in a collective: tell them at once, naming this rank's error, instead of letting them time out.
            communicator.Fail($"{error.GetType().Name}: {error.Message}");
            throw;
        }
    }

    private TrainingResult FitCore(Module model, Loss loss, TrainingSource training, TrainingSource? validation, TrainingHistory? continueFrom)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(training);
        TrainerSettings settings = _settings;
        if (validation is not null && validation.FeatureCount != training.FeatureCount)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The validation rows have {validation.FeatureCount} features, but the training rows have {training.FeatureCount}. Apply the same featurization to both."), nameof(validation));
        }

        if (validation is null && settings.EarlyStopping is not null && settings.ValidationFraction == 0f)
        {
            throw new InvalidOperationException(
                "EarlyStopping needs validation data: set ValidationFraction (e.g. 0.1) or call Fit(trainData, validationData).");
        }

        settings.CancellationToken.ThrowIfCancellationRequested();
        int validationRows = validation is null ? settings.ValidationRowsOf(training.RowCount) : 0;
        if (validationRows >= training.RowCount)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"ValidationFraction {settings.ValidationFraction} holds out {validationRows} of the {training.RowCount} usable rows and leaves none to train on. Lower it or provide more rows."));
        }

        int trainingRows = training.RowCount - validationRows;
        int batchSize = Math.Min(settings.BatchSize, trainingRows);
        FastRandom? random = (settings.Shuffle && batchSize < trainingRows) || validationRows > 0 ? new FastRandom(settings.Seed) : null;
        OptimizerSettings optimizerSettings = settings.Optimizer ?? OptimizerSettings.Adam();
        Func<int, float>? derivedRate;
        try
        {
            if (random is not null)
            {
                training.Shuffle(random);
            }

            if (validationRows > 0)
            {
                (training, validation) = training.HoldOut(validationRows);
            }

            derivedRate = DerivedRate(model, loss, optimizerSettings, training);
        }
        catch (DataReadException exception)
        {
            // Only a streamed source reads here: the weights of a hold-out, the curvature of the rows as trained.
            throw exception.During("the pass before the first epoch");
        }

        float learningRate = settings.LearningRate ?? derivedRate?.Invoke(batchSize) ?? optimizerSettings.DefaultLearningRate;
        if (settings.LearningRate is null && !float.IsNormal(learningRate))
        {
            // Only a derived rate can get here: the curvature of raw features on a scale near float's limits overflows (or its
            // inverse underflows), and a rate of 0 would train a model of the bias alone.
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Cannot derive a learning rate from the features of {training.Description} as trained: their curvature gives {learningRate:G4}, beyond what float arithmetic represents, because the features are on a scale too large or too small for float (largest magnitude {training.Statistics.LargestMagnitude:G3}). " +
                $"Standardise them (FeatureStandardization = CenterAndScale, the ML.NET trainers' default, which trains on standardised features whatever their scale, or mlContext.Transforms.NormalizeMeanVariance in front), or set LearningRate yourself."));
        }

        Optimizer optimizer = optimizerSettings.Create(ParameterGroups(model, settings.L2Regularization), learningRate);
        int stepsPerEpoch = (trainingRows + batchSize - 1) / batchSize;
        ScheduleStepper schedule = CreateSchedule(optimizer, settings, stepsPerEpoch, derivedRate, learningRate);
        using var step = new ShardedStep(model, loss, settings.ThreadCount, settings.Seed, settings.ShardPolicy, settings.Communicator);
        var runner = new EpochRunner(model, optimizer, training, batchSize, random, schedule, settings.MaxGradientNorm, step);
        if (settings.Logger is { } logger)
        {
            TrainingLog.TrainingStarted(logger, model.Describe(), trainingRows, training.FeatureCount, validation?.RowCount ?? 0, settings.NumberOfEpochs, batchSize,
                optimizerSettings.Name, learningRate, loss.GetType().Name);
        }

        if (continueFrom is not null)
        {
            runner.FastForward(continueFrom.Epochs, schedule.BatchSizeChanged);
        }

        ulong? initialWeights = WeightFingerprint(model);
        if (settings.Communicator is { Size: > 1 } communicator)
        {
            RankAgreement.Check(communicator, settings, model, training, validation, initialWeights);
        }

        TrainingHistory history = RunEpochs(runner, model, loss, training, validation, schedule, continueFrom);
        CheckSomethingWasLearned(model, initialWeights, history, training, learningRate);
        model.Eval();
        return new TrainingResult(model, history);
    }

    /// <summary>
    /// The rate derived from the data for each batch size, for an affine model trained by plain SGD on a loss whose curvature is
    /// bounded, when no rate is set; else null. The curvature is estimated on the training rows as trained (shuffled, split).
    /// </summary>
    private Func<int, float>? DerivedRate(Module model, Loss loss, OptimizerSettings optimizer, TrainingSource training)
    {
        if (_settings.LearningRate is not null || !optimizer.IsPlainSgd || model is not (LinearModel or Linear) || loss.LinearRateFactor is not { } factor)
        {
            return null;
        }

        LinearCurvature curvature = training.EstimateLinearCurvature();
        return batchSize => factor * curvature.RateFor(batchSize);
    }

    /// <summary>
    /// The run's one writer of the learning rate: the user's scheduler; the cosine schedule; the rate derived for the batch
    /// size under the adaptive schedule (it follows the batch as it grows); or none (the rate stays).
    /// </summary>
    private static ScheduleStepper CreateSchedule(Optimizer optimizer, TrainerSettings settings, int stepsPerEpoch, Func<int, float>? derivedRate, float learningRate)
    {
        var length = new TrainingLength(settings.NumberOfEpochs, stepsPerEpoch);
        if (settings.LearningRateScheduler is { } scheduler)
        {
            return new ScheduleStepper(scheduler.Create(optimizer, length), scheduler.StepsEveryBatch);
        }

        return settings.LearningRateSchedule switch
        {
            LearningRateSchedule.Cosine => new ScheduleStepper(new CosineAnnealingScheduler(optimizer, length.TotalSteps), stepsEveryBatch: true),
            LearningRateSchedule.Adaptive when derivedRate is not null => new ScheduleStepper(new BatchSizeRateScheduler(optimizer, derivedRate, learningRate), stepsEveryBatch: false),
            _ => new ScheduleStepper(null, stepsEveryBatch: false),
        };
    }

    private TrainingHistory RunEpochs(EpochRunner runner, Module model, Loss loss, TrainingSource training, TrainingSource? validation, ScheduleStepper schedule, TrainingHistory? previous)
    {
        TrainerSettings settings = _settings;
        ILogger? logger = settings.Logger;
        CancellationToken cancellationToken = settings.CancellationToken;
        int epochs = settings.NumberOfEpochs;
        var reports = new List<EpochReport>();
        int firstEpoch = previous?.EpochsRun ?? 0;
        var monitor = new ConvergenceMonitor(settings.ConvergenceTolerance, settings.Patience);
        EarlyStopping? earlyStopping = settings.EarlyStopping;
        float bestValidation = float.PositiveInfinity;
        int bestEpoch = 0;
        int epochsWithoutValidationImprovement = 0;
        float[][]? bestWeights = null;
        int growths = CountBatchGrowths(previous);
        TrainingStopReason stopReason = TrainingStopReason.EpochLimit;
        long started = Stopwatch.GetTimestamp();
        Communicator? ranks = settings.Communicator is { Size: > 1 } communicator ? communicator : null;
        for (int run = 1; run <= epochs; run++)
        {
            int epoch = firstEpoch + run;
            float epochLoss;
            int batchSize = runner.BatchSize;
            if (ranks is not null && RankAgreement.AnyCancelled(ranks, cancellationToken))
            {
                // Ranks stop together at an epoch's end: a cancellation seen by one rank in the middle of an epoch would leave the
                // others waiting in the step's exchange.
                if (reports.Count == 0)
                {
                    throw new OperationCanceledException("Training was cancelled on one of the ranks before its first epoch ended.", cancellationToken);
                }

                stopReason = TrainingStopReason.Cancelled;
                break;
            }

            try
            {
                epochLoss = runner.RunEpoch(epoch, settings.L2Regularization, ranks is null ? cancellationToken : CancellationToken.None);
            }
            catch (OperationCanceledException) when (reports.Count > 0)
            {
                stopReason = TrainingStopReason.Cancelled; // "Train until cancelled": keep what the finished epochs learned.
                break;
            }
            catch (DataReadException exception)
            {
                throw exception.During(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}"));
            }

            if (run == 1)
            {
                monitor.PrecisionFloor = loss.PrecisionFloor(training.Statistics.LabelSquareMean, runner.InitialLoss, training.FeatureCount);
            }

            CheckDivergence(epoch, epochLoss, runner, model, monitor.PrecisionFloor);
            float validationLoss;
            try
            {
                validationLoss = validation is null ? float.NaN : (float)runner.EvaluateLoss(validation);
            }
            catch (OperationCanceledException) when (reports.Count > 0)
            {
                stopReason = TrainingStopReason.Cancelled; // A streamed validation pass checks the token too: stop as within an epoch.
                break;
            }
            catch (DataReadException exception)
            {
                throw exception.During(string.Create(CultureInfo.InvariantCulture, $"the validation pass after epoch {epoch}"));
            }

            var report = new EpochReport(epoch, epochLoss, validationLoss, runner.CurrentLearningRate, batchSize, Stopwatch.GetElapsedTime(started));
            reports.Add(report);
            settings.Progress?.Report(report);
            schedule.AfterEpoch(validation is null ? runner.LastLoss : validationLoss);

            bool earlyStop = false;
            if (validation is not null && float.IsFinite(validationLoss))
            {
                float threshold = Math.Max(earlyStopping?.MinDelta ?? 0f, float.IsFinite(bestValidation) ? (earlyStopping?.MinRelativeDelta ?? 0f) * Math.Abs(bestValidation) : 0f);
                if (validationLoss < bestValidation - threshold)
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

            bool plateau = monitor.Observe(runner.LastLoss, runner.LossNoise);
            if (plateau && monitor.IsRising(epochLoss, PlateauRiseFactor))
            {
                if (model is LinearModel or Linear || !(epochLoss < runner.InitialLoss))
                {
                    // Epochs without improvement because the loss keeps rising: unstable, not converged (for an affine model's
                    // convex loss always; for another model once the loss is back where training started).
                    throw TrainingErrors.Diverged(epoch,
                        string.Create(CultureInfo.InvariantCulture, $"the training loss grew to {epochLoss:G4}, far above its best {monitor.Best:G4}"),
                        runner.CurrentLearningRate, settings.L2Regularization);
                }

                // A network's spike that stays below the initial loss (Adam on an MLP that fits its rows almost exactly: on 400
                // rows of Friedman #1 the documented recipe's loss jumped from 0.017 to 0.080 in epoch 241 and fell back, while its
                // validation loss still improved, and this error ended the fit) is neither divergence nor convergence: training
                // goes on, and early stopping or the epoch limit ends it.
                monitor.Restart();
                plateau = false;
            }

            if (plateau && !monitor.AtPrecisionFloor && settings.LearningRateSchedule == LearningRateSchedule.Adaptive && !runner.IsFullBatch && growths < TrainerSettings.AdaptiveGrowths)
            {
                int previousBatchSize = runner.BatchSize;
                runner.SetBatchSize((int)Math.Min((long)previousBatchSize * TrainerSettings.AdaptiveFactor, training.RowCount));
                schedule.BatchSizeChanged(runner.BatchSize);
                growths++;
                if (logger is not null)
                {
                    TrainingLog.BatchSizeGrown(logger, epoch, previousBatchSize, runner.BatchSize);
                }

                settings.Observer?.BatchGrown(epoch, previousBatchSize, runner.BatchSize);
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
            if (last || run == 1 || run % settings.LossLoggingInterval == 0)
            {
                if (logger is not null)
                {
                    TrainingLog.EpochCompleted(logger, report.Epoch, firstEpoch + epochs, report.TrainingLoss, report.ValidationLoss, report.LearningRate, report.Elapsed);
                }

                settings.Observer?.EpochLogged(report, firstEpoch + epochs);
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
            TrainingLog.EarlyStopped(logger, firstEpoch + reports.Count, earlyStopping!.Patience, bestEpoch, bestValidation,
                restored is null ? "" : "; its weights were restored");
        }

        var history = new TrainingHistory(previous is null ? reports : [.. previous.Epochs, .. reports], stopReason, restored);
        if (logger is not null)
        {
            TrainingLog.TrainingStopped(logger, history.ToString(), history.EpochsRun, reports[^1].TrainingLoss);
        }

        settings.Observer?.Stopped(history, bestValidation, bestEpoch);
        return history;
    }

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

    /// <summary>
    /// The weights in one group and the biases in another whose weight decay is 0. The weights' decay is
    /// <paramref name="l2Regularization"/> when it is positive, else the optimizer's own (AdamW's 1e-2, 0 for the others).
    /// </summary>
    private static IReadOnlyList<ParameterGroup> ParameterGroups(Module model, float l2Regularization)
    {
        var weights = new List<Tensor<float>>();
        var biases = new List<Tensor<float>>();
        foreach (ModuleParameter parameter in model.NamedParameters())
        {
            (parameter.Kind == ParameterKind.Bias ? biases : weights).Add(parameter.Value);
        }

        var groups = new List<ParameterGroup>(2);
        if (weights.Count > 0)
        {
            groups.Add(new ParameterGroup(weights, l2Regularization > 0f ? l2Regularization : null));
        }

        if (biases.Count > 0)
        {
            groups.Add(new ParameterGroup(biases, 0f));
        }

        return groups;
    }

    private void CheckDivergence(int epoch, float loss, EpochRunner runner, Module model, double precisionFloor)
    {
        // A run that diverges slowly can stay finite for many epochs (1e9, 1e22, 1e34 ...): a loss far above where
        // training started, or parameters that are no longer finite, end it with the same error as a NaN loss. Where the
        // first loss is itself below what float can resolve (labels far from 0 that the bias already fits), growth is
        // measured from the precision floor instead.
        if (runner.InitialLoss > 0 && loss > DivergenceFactor * Math.Max(runner.InitialLoss, precisionFloor))
        {
            throw TrainingErrors.Diverged(epoch,
                string.Create(CultureInfo.InvariantCulture, $"the training loss grew to {loss:G4}, more than {DivergenceFactor:G0} times its initial {runner.InitialLoss:G4}"),
                runner.CurrentLearningRate, _settings.L2Regularization);
        }

        foreach (Tensor<float> parameter in model.Parameters())
        {
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(parameter.Data))
            {
                throw TrainingErrors.Diverged(epoch, "the weights are no longer finite", runner.CurrentLearningRate, _settings.L2Regularization);
            }
        }
    }

    /// <summary>
    /// A 64-bit hash of the weight tensors' bytes (not the biases'), to tell afterwards whether training moved any of them without
    /// holding a copy (a first layer over a million sparse slots is 256 MB); null when the model has no weights.
    /// </summary>
    private static ulong? WeightFingerprint(Module model)
    {
        var hash = new System.IO.Hashing.XxHash64();
        bool any = false;
        foreach (ModuleParameter parameter in model.NamedParameters())
        {
            if (parameter.Kind != ParameterKind.Bias)
            {
                hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(parameter.Value.Data));
                any = true;
            }
        }

        return any ? hash.GetCurrentHashAsUInt64() : null;
    }

    /// <summary>
    /// Fails when training ran but moved no weight although features vary: the model would predict from its biases alone,
    /// explaining nothing of the features, and say nothing about it (the loss cannot reach the weights, or every step is too
    /// small to change a float weight). A model whose features are all constant has nothing to learn from them and passes.
    /// </summary>
    private static void CheckSomethingWasLearned(Module model, ulong? initialWeights, TrainingHistory history, TrainingSource training, float learningRate)
    {
        int varying = training.Statistics.VaryingFeatureCount;
        if (varying == 0 || history.EpochsRun == 0 || initialWeights is null || WeightFingerprint(model) != initialWeights)
        {
            return;
        }

        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
            $"Training ran {history.EpochsRun} epochs, but no weight moved from where it started, although {varying} features of {training.Description} vary: the model would predict from its biases alone and explain nothing of the features. " +
            $"Either the loss does not depend on the model's predictions (check a custom Loss), or the learning rate ({learningRate:G4}) times the gradient is too small to change a float weight (check the features' scale and FeatureStandardization)."));
    }

    private static float[][] CopyParameters(Module model, float[][]? into)
    {
        IReadOnlyList<Tensor<float>> parameters = model.Parameters();
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
        IReadOnlyList<Tensor<float>> parameters = model.Parameters();
        using (Autograd.NoGrad())
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                values[i].CopyTo(parameters[i].Data);
            }
        }
    }
}
