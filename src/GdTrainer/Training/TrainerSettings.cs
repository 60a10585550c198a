namespace GdTrainer.Training;

using System.Globalization;
using GdTrainer.Optimizers;
using Microsoft.Extensions.Logging;

/// <summary>
/// How a <see cref="ModuleTrainer"/> trains: the optimizer and its learning rate and schedule, the batches, the stopping
/// rules (convergence, early stopping, the epoch limit), validation, and what it reports. The defaults are those of a
/// small network (scikit-learn's <c>MLPRegressor</c>, Keras' <c>fit</c>): Adam at 1e-3, 256 rows per batch, at most 200
/// epochs, stopping after 10 epochs without a relative improvement of 1e-4. The ML.NET trainers resolve their own
/// model-dependent defaults into these settings.
/// </summary>
public sealed class TrainerSettings
{
    /// <summary>A <see cref="BatchSize"/> that means full-batch gradient descent: one step per epoch over all rows.</summary>
    public const int FullBatch = int.MaxValue;

    /// <summary>The optimizer (see <see cref="OptimizerSettings"/>). Default: null, which is <see cref="OptimizerSettings.Adam"/> with PyTorch's defaults.</summary>
    public OptimizerSettings? Optimizer;

    /// <summary>
    /// The step size (positive and finite). Default: null, which derives it from the data's curvature for an affine model
    /// (<see cref="Models.LinearModel"/>, <see cref="Models.Linear"/>) trained by plain SGD on a loss whose curvature is bounded
    /// (mean squared error, Huber, L1, binary and softmax cross-entropy): <c>1 / (lambda_max(H) + 2 max ||a||^2 / BatchSize)</c>
    /// times the loss's bound against the squared error's; otherwise the optimizer's default (1e-3 for Adam).
    /// </summary>
    public float? LearningRate;

    /// <summary>
    /// How the rate and the batch change within the run: <see cref="Optimizers.LearningRateSchedule.Constant"/> (PyTorch's plain loop),
    /// <see cref="Optimizers.LearningRateSchedule.Cosine"/> (annealed to 0 over <see cref="NumberOfEpochs"/>, step by step), or
    /// <see cref="Optimizers.LearningRateSchedule.Adaptive"/> (the batch grows tenfold at each plateau, at most 3 times, and a rate derived
    /// from the data follows it; the next plateau ends training). Default: Constant.
    /// </summary>
    public LearningRateSchedule LearningRateSchedule = LearningRateSchedule.Constant;

    /// <summary>
    /// A scheduler stepped every epoch or batch (see <see cref="SchedulerSettings"/>); it is then the only writer of the rate.
    /// Not with <see cref="Optimizers.LearningRateSchedule.Cosine"/>. Default: null.
    /// </summary>
    public SchedulerSettings? LearningRateScheduler;

    /// <summary>Clips the gradient's global 2-norm to this before every step (PyTorch's <c>clip_grad_norm_</c>); positive. Default: null (no clipping).</summary>
    public float? MaxGradientNorm;

    /// <summary>
    /// The L2 penalty λ on the weights (not the biases), PyTorch's <c>weight_decay</c>: each step uses the gradient of
    /// <c>loss + (λ / 2) ||w||^2</c>; at least 0. Default: 0, which leaves the optimizer's own decay (AdamW's 1e-2, 0 for the others).
    /// </summary>
    public float L2Regularization;

    /// <summary>The most passes over the data (at least 1). Default: 200.</summary>
    public int NumberOfEpochs = 200;

    /// <summary>
    /// The relative improvement of the training loss that counts as progress (at least 0; scikit-learn's <c>tol</c>, relative):
    /// an epoch improves when its loss is below the best by more than this fraction of it, and by more than the noise of the
    /// epoch's loss and the loss's precision floor. Default: 1e-4.
    /// </summary>
    public float ConvergenceTolerance = 1e-4f;

    /// <summary>
    /// The number of epochs in a row without improvement that make a plateau (scikit-learn's <c>n_iter_no_change</c>), at
    /// least 0: training then stops as converged (or the adaptive schedule grows the batch). 0 runs every epoch. Default: 10.
    /// </summary>
    public int Patience = 10;

    /// <summary>Rows per gradient step (at least 1); <see cref="FullBatch"/> or any value of at least the row count gives full-batch gradient descent. Default: 256.</summary>
    public int BatchSize = 256;

    /// <summary>
    /// Whether to put the rows in a random order (seeded by <see cref="Seed"/>) before training and visit the batches in a
    /// new random order every epoch. Ignored for full batches. Default: true.
    /// </summary>
    public bool Shuffle = true;

    /// <summary>The seed of the shuffles and the validation split: the same seed, settings and data give a bit-identical model. Default: 0.</summary>
    public int Seed;

    /// <summary>
    /// The fraction of the training rows held out at random (seeded) to measure a validation loss after every epoch, in
    /// [0, 1) (Keras' <c>validation_split</c>). Ignored when <see cref="ModuleTrainer.Fit"/> is given validation data. Default: 0.
    /// </summary>
    public float ValidationFraction;

    /// <summary>Stops when the validation loss stops improving and by default restores the best epoch's weights; needs validation data. Default: null.</summary>
    public EarlyStopping? EarlyStopping;

    /// <summary>Receives one <see cref="EpochReport"/> per epoch, on the training thread. Default: null.</summary>
    public IProgress<EpochReport>? Progress;

    /// <summary>Log the epoch's losses every this many epochs (at least 1); the first and the last are always logged. Default: 1.</summary>
    public int LossLoggingInterval = 1;

    /// <summary>
    /// Receives structured events: <c>TrainingStarted</c> (1), <c>EpochCompleted</c> (2) per logged epoch, <c>TrainingStopped</c> (4),
    /// <c>BatchSizeGrown</c> (5), <c>EarlyStopped</c> (6). Default: null.
    /// </summary>
    public ILogger? Logger;

    /// <summary>Cancels training between mini-batches; once an epoch has finished, the model trained so far comes back with <see cref="TrainingStopReason.Cancelled"/>. Default: none.</summary>
    public CancellationToken CancellationToken;

    /// <summary>
    /// The threads a training step and a loss pass use, the calling thread included (at least 1; ML.NET's name on SDCA, L-BFGS and
    /// LightGbm). Default: null, every logical processor of the machine (<see cref="Environment.ProcessorCount"/>, which respects a
    /// container's CPU limit), as those trainers do. The trained model does not depend on it, bit for bit: each batch is cut into
    /// micro-shards by its size and the model's work per row alone, and their gradients are summed in a fixed order, so using every
    /// core costs nothing in reproducibility. 1 computes the same shards one after the other on the calling thread, with no other
    /// thread. Batches too small to split (fewer than two shards of 128 rows and 2^19 row-parameters each, such as the linear model's
    /// batches of 256) run on the calling thread whatever the setting. The shards of a batch call the model's <c>Forward</c> and the
    /// loss's <c>Compute</c> on several threads at once: a custom <see cref="Models.Module"/> or <see cref="Losses.Loss"/> must only read
    /// its state there, as the library's do.
    /// </summary>
    public int? NumberOfThreads;

    /// <summary>The factor by which <see cref="Optimizers.LearningRateSchedule.Adaptive"/> grows the batch at a plateau.</summary>
    internal const int AdaptiveFactor = 10;

    /// <summary>How many times <see cref="Optimizers.LearningRateSchedule.Adaptive"/> grows the batch before a plateau ends training.</summary>
    internal const int AdaptiveGrowths = 3;

    /// <summary>Receives the logged epochs and the run's events besides <see cref="Logger"/> (the ML.NET trainers' <c>MLContext.Log</c>).</summary>
    internal ITrainingObserver? Observer;

    /// <summary>How batches are cut into micro-shards: <see cref="ShardPolicy.Default"/> unless a test or a benchmark sets another.</summary>
    internal ShardPolicy ShardPolicy = ShardPolicy.Default;

    /// <summary>
    /// The processes (ranks) that train this model together, for example every rank of an MPI job
    /// (<see cref="MpiCommunicator.FromEnvironment()"/>); null, the default, trains in this process alone and loads no native library.
    /// Every rank calls <see cref="ModuleTrainer.Fit"/> with the same settings, model and rows; each computes its block of every
    /// batch's micro-shards, the ranks exchange the blocks' gradient sums and losses every step, and every rank ends with the
    /// same model, bit for bit the one a single process trains with the same batches (docs/distributed.md). The ranks check
    /// before training that their settings and rows agree, stop together when one is cancelled (checked at the end of each
    /// epoch), and a rank that fails makes the others fail naming it.
    /// </summary>
    public Communicator? Communicator;

    /// <summary>
    /// A fingerprint of what the caller (the ML.NET trainers) knows must agree across ranks beyond the settings and the rows:
    /// the label's key values, for example. Mixed into the ranks' agreement check.
    /// </summary>
    internal ulong CallerFingerprint;

    /// <summary>The threads <see cref="NumberOfThreads"/> resolves to.</summary>
    internal int ThreadCount => NumberOfThreads ?? Environment.ProcessorCount;

    /// <summary>The number of rows <see cref="ValidationFraction"/> holds out of <paramref name="rowCount"/> (0 when it is 0).</summary>
    internal int ValidationRowsOf(int rowCount) => ValidationFraction > 0f ? Math.Max(1, (int)Math.Round(ValidationFraction * rowCount)) : 0;

    /// <summary>A shallow copy (the settings objects it holds are immutable).</summary>
    internal TrainerSettings Clone() => (TrainerSettings)MemberwiseClone();

    /// <summary>Checks every setting; the message names it and its value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="ArgumentException">Two settings contradict each other.</exception>
    internal void Validate()
    {
        SettingChecks.LearningRate(LearningRate);
        SettingChecks.ConvergenceTolerance(ConvergenceTolerance);
        SettingChecks.Patience(Patience);
        SettingChecks.NumberOfEpochs(NumberOfEpochs);
        SettingChecks.BatchSize(BatchSize);
        SettingChecks.L2Regularization(L2Regularization);
        SettingChecks.MaxGradientNorm(MaxGradientNorm);
        SettingChecks.ValidationFraction(ValidationFraction);
        SettingChecks.LossLoggingInterval(LossLoggingInterval);
        SettingChecks.Schedules(LearningRateSchedule, LearningRateScheduler);
        SettingChecks.NumberOfThreads(NumberOfThreads);
        EarlyStopping?.Validate();
    }

    /// <summary>The settings as one line, for a debug log of what a run resolved its defaults to.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Describe(exact: false)}, NumberOfThreads {ThreadCount}");

    /// <summary>
    /// Every setting the trained model depends on, as one line with every number to the last bit (not the threads, which change
    /// no bit, nor logging): what the ranks of a data-parallel run compare before training.
    /// </summary>
    internal string WhatTheModelDependsOn() => Describe(exact: true);

    private string Describe(bool exact)
    {
        string rateFormat = exact ? "G9" : "G6";
        string format = exact ? "G9" : "G3";
        return string.Create(CultureInfo.InvariantCulture,
            $"Optimizer {Optimizer?.Name ?? "Adam"}, LearningRate {(LearningRate is { } rate ? rate.ToString(rateFormat, CultureInfo.InvariantCulture) : "derived or the optimizer's default")}, LearningRateSchedule {LearningRateSchedule}, " +
            $"LearningRateScheduler {LearningRateScheduler?.Name ?? "none"}, NumberOfEpochs {NumberOfEpochs}, ConvergenceTolerance {ConvergenceTolerance.ToString(format, CultureInfo.InvariantCulture)}, Patience {Patience}, BatchSize {BatchSize}, " +
            $"Shuffle {Shuffle}, Seed {Seed}, L2Regularization {L2Regularization.ToString(format, CultureInfo.InvariantCulture)}, MaxGradientNorm {(MaxGradientNorm is { } norm ? norm.ToString(format, CultureInfo.InvariantCulture) : "none")}, ValidationFraction {ValidationFraction.ToString(format, CultureInfo.InvariantCulture)}, " +
            $"EarlyStopping {(EarlyStopping is { } stop ? (exact ? string.Create(CultureInfo.InvariantCulture, $"patience {stop.Patience}, min delta {stop.MinDelta:G9}, min relative delta {stop.MinRelativeDelta:G9}, restore {stop.RestoreBestWeights}") : $"patience {stop.Patience}") : "none")}");
    }
}
