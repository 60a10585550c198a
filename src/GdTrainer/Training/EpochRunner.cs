namespace GdTrainer.Training;

using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;

/// <summary>
/// Runs epochs of mini-batch gradient descent over a <see cref="TrainingSource"/> with any <see cref="Module"/>,
/// <see cref="Loss"/> and <see cref="Optimizer"/>, each step's forward and backward passes by the micro-shards of a
/// <see cref="ShardedStep"/> (on one thread or several, the same bits). It never sets the learning rate: the run's one scheduler does
/// (<see cref="ScheduleStepper"/>), or the rate stays the one the optimizer was created with.
/// </summary>
/// <remarks>
/// With shuffling, the rows were put in a random order before training (<see cref="TrainingSource.Shuffle"/>), and every
/// epoch visits the contiguous mini-batches of that order in a new random order (with 32 batches or more; fewer keep
/// their order, see <see cref="RunEpoch"/>). Each batch is a view of the source created once per batch size: an epoch
/// copies no data and reads memory sequentially (reshuffling the rows themselves every epoch made the random gather cost
/// more than the arithmetic: ~30 ms per epoch on 1M x 20 against ~20 ms for the training itself).
/// <para>
/// The objective is the (example-weighted) mean loss over all rows, whatever the batch size. A step takes the gradient of
/// its batch's mean loss, so a short last batch would weigh each of its rows <c>BatchSize / itsSize</c> times as much as
/// the others in every epoch, and training would converge to a weighted fit. Each batch's gradient is therefore scaled by
/// its share of the total weight times the number of batches (<c>W_b * m / W</c>): one epoch's steps then add up to
/// <c>m</c> times the gradient of the objective, whose optimum is the fixed point of training for every batch size.
/// </para>
/// </remarks>
internal sealed class EpochRunner
{
    /// <summary>Epochs of fewer batches report the loss measured over all rows after the epoch.</summary>
    internal const int ExactLossBatchLimit = 32;

    /// <summary>Rows per forward pass when a loss is measured without training.</summary>
    private const int EvaluationChunkRows = 8192;

    private readonly Module _model;
    private readonly Optimizer _optimizer;
    private readonly TrainingSource _source;
    private readonly FastRandom? _random;
    private readonly ScheduleStepper _schedule;
    private readonly float? _maxGradientNorm;
    private readonly bool _hasTrainingOnlyLayers;
    private readonly ShardedStep _step;
    private BatchPlan _plan;
    private long _stepIndex;
    private float _stepLearningRate = float.NaN;

    /// <param name="model">The model to train.</param>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="source">The training rows, already shuffled and transformed as trained.</param>
    /// <param name="batchSize">Rows per step (at most the row count is used).</param>
    /// <param name="random">Shuffles the batch order every epoch, or null to keep it.</param>
    /// <param name="schedule">The run's scheduler, stepped after every step or epoch as it asks.</param>
    /// <param name="maxGradientNorm">Clip the gradient's global 2-norm to this before every step, or null.</param>
    /// <param name="step">Computes each batch's forward and backward passes, and the loss passes, by micro-shards (on its threads).</param>
    internal EpochRunner(Module model, Optimizer optimizer, TrainingSource source, int batchSize, FastRandom? random, ScheduleStepper schedule, float? maxGradientNorm, ShardedStep step)
    {
        _step = step;
        _model = model;
        _optimizer = optimizer;
        _source = source;
        _random = random;
        _schedule = schedule;
        _maxGradientNorm = maxGradientNorm;
        _plan = source.Plan(batchSize);
        _hasTrainingOnlyLayers = model.DependsOnTrainingMode;
    }

    /// <summary>The rows per batch (the last batch may hold fewer).</summary>
    internal int BatchSize => _plan.BatchSize;

    /// <summary>Whether one batch holds every row (full-batch gradient descent).</summary>
    internal bool IsFullBatch => _plan.Count == 1;

    /// <summary>The number of optimizer steps in one epoch at the current batch size.</summary>
    internal int StepsPerEpoch => _plan.Count;

    /// <summary>
    /// The learning rate of the latest step (of the first parameter group): the rate that step used, not the one a per-batch
    /// scheduler has already set for the next step; before the first step, the starting rate.
    /// </summary>
    internal float CurrentLearningRate => float.IsNaN(_stepLearningRate) ? RateInEffect : _stepLearningRate;

    /// <summary>The loss of the first step of the run, before any update (the reference for divergence).</summary>
    internal float InitialLoss { get; private set; } = float.NaN;

    /// <summary>The last epoch's loss as returned by <see cref="RunEpoch"/>, in double (for the convergence rule).</summary>
    internal double LastLoss { get; private set; }

    /// <summary>
    /// The standard error of the last epoch's loss as an estimate (0 when it was measured exactly): the spread of its
    /// batch losses over the square root of their number.
    /// </summary>
    internal double LossNoise { get; private set; }

    private float RateInEffect => _optimizer.LearningRateOf(_optimizer.Groups[0]);

    /// <summary>Re-cuts the (already shuffled) rows into batches of <paramref name="batchSize"/> rows, from the next epoch on.</summary>
    internal void SetBatchSize(int batchSize) => _plan = _source.Plan(batchSize);

    /// <summary>
    /// Advances the batch-order shuffles, the schedule and the batch size past the epochs of an earlier run (a warm start), so
    /// that continuing a run of n epochs for m more gives the epochs n + 1 ... n + m of a run of n + m epochs with the same seed.
    /// </summary>
    internal void FastForward(IReadOnlyList<EpochReport> earlier, Action<int> batchSizeChanged)
    {
        foreach (EpochReport epoch in earlier)
        {
            if (epoch.BatchSize > 0 && epoch.BatchSize != BatchSize)
            {
                SetBatchSize(epoch.BatchSize);
                batchSizeChanged(BatchSize);
            }

            if (_random is not null && _plan.Count >= ExactLossBatchLimit)
            {
                _plan.ShuffleOrder(_random);
            }

            for (int step = 0; step < _plan.Count; step++)
            {
                _schedule.AfterStep();
            }

            _stepIndex += _plan.Count;
            _schedule.AfterEpoch(epoch.HasValidationLoss ? epoch.ValidationLoss : epoch.TrainingLoss);
        }
    }

    /// <summary>
    /// Runs one epoch and returns its loss. With many batches, it is the weighted mean of the batch losses, each
    /// measured before its update: free, and an average over enough steps to be smooth. With fewer than
    /// <see cref="ExactLossBatchLimit"/> batches that average depends on the order the batches happened to run in
    /// (with 2 batches, by more than the convergence tolerance), so the loss is measured over all rows after the
    /// epoch, at a cost below the epoch's own; a full batch measures it exactly before its one update.
    /// </summary>
    /// <exception cref="InvalidOperationException">A batch loss is NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between batches.</exception>
    internal float RunEpoch(int epoch, float l2Regularization, CancellationToken cancellationToken)
    {
        _model.Train();
        if (_random is not null && _plan.Count >= ExactLossBatchLimit)
        {
            // With few batches their order stays fixed (the rows were shuffled once): the iterate at the end of an
            // epoch is then a smooth function of the weights, so the loss measured there falls steadily until the
            // run has converged at the current rate, instead of jumping with whichever batch happened to run last.
            _plan.ShuffleOrder(_random);
        }

        double weightedLossSum = 0;
        double weightedSquareSum = 0;
        double weightSum = 0;
        using BatchPlan.PassScope pass = _plan.OpenPass(); // A streamed plan closes its cursor however the epoch ends.
        for (int step = 0; step < _plan.Count; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TrainingBatch batch = _plan[step];
            _stepLearningRate = RateInEffect;
            _optimizer.ZeroGrad();
            double value = _step.Train(batch, _stepIndex++);
            if (!double.IsFinite(value))
            {
                throw TrainingErrors.Diverged(epoch, $"the training loss became {(float)value}", CurrentLearningRate, l2Regularization);
            }

            if (float.IsNaN(InitialLoss))
            {
                InitialLoss = (float)value;
            }

            if (_maxGradientNorm is { } maxNorm)
            {
                GradientClipping.ClipByNorm(_model.Parameters(), maxNorm);
            }

            _optimizer.Step();
            _schedule.AfterStep();
            weightedLossSum += value * batch.TotalWeight;
            weightedSquareSum += value * value * batch.TotalWeight;
            weightSum += batch.TotalWeight;
        }

        // Rows the epoch's sparse batches did not touch are owed their weight decay: pay it before anything reads the weights.
        _optimizer.CatchUp();
        if (_plan.Count < ExactLossBatchLimit)
        {
            LossNoise = 0;
            LastLoss = _plan.Count == 1 && !_hasTrainingOnlyLayers ? weightedLossSum / weightSum : MeasureLoss(_plan);
            return (float)LastLoss;
        }

        // The standard error of the weighted mean of the batch losses: an improvement below it is not evidence of progress.
        double mean = weightedLossSum / weightSum;
        double variance = Math.Max((weightedSquareSum / weightSum) - (mean * mean), 0);
        LossNoise = Math.Sqrt(variance / _plan.Count);
        LastLoss = mean;
        return (float)mean;
    }

    /// <summary>
    /// The (example-weighted) mean loss of the current model over <paramref name="source"/>, in evaluation mode and without
    /// recording a graph, in chunks of rows (for the validation loss).
    /// </summary>
    internal double EvaluateLoss(TrainingSource source) => MeasureLoss(source.Plan(EvaluationChunkRows));

    /// <summary>
    /// The loss of the current model over all batches of <paramref name="plan"/> (without recording a graph), each batch by the
    /// micro-shards of <see cref="ShardedStep.Evaluate"/> summed in a fixed order. For the linear model and the mean squared error
    /// it is computed in double, predictions included (<see cref="LinearSquaredError"/>).
    /// </summary>
    private double MeasureLoss(BatchPlan plan)
    {
        double weightedLossSum = 0;
        double weightSum = 0;
        using BatchPlan.PassScope pass = plan.OpenPass();
        _model.Eval();
        try
        {
            for (int step = 0; step < plan.Count; step++)
            {
                TrainingBatch batch = plan[step];
                weightedLossSum += _step.Evaluate(batch);
                weightSum += batch.TotalWeight;
            }
        }
        finally
        {
            _model.Train();
        }

        return weightedLossSum / weightSum;
    }
}
