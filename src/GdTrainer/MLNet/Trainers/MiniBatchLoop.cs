namespace GdTrainer.MLNet;

using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;

/// <summary>
/// Runs epochs of mini-batch gradient descent over in-memory <see cref="TrainingData"/> with any
/// <see cref="Module"/>, <see cref="Loss"/> and <see cref="Optimizer"/>.
/// </summary>
/// <remarks>
/// With shuffling, the rows are put in a random order once, and every epoch visits the contiguous
/// mini-batches of that order in a new random order (with 32 batches or more; fewer keep their order, see
/// <see cref="RunEpoch"/>). Each batch is then a tensor view over the training
/// buffer, created once: an epoch copies no data and allocates no data buffer, and it reads memory
/// sequentially (reshuffling the rows themselves every epoch made the random gather cost more than the
/// arithmetic: ~30 ms per epoch on 1M x 20 against ~20 ms for the training itself).
/// <para>
/// The objective is the (example-weighted) mean loss over all rows, whatever the batch size. A step takes
/// the gradient of its batch's mean loss, so a short last batch would weigh each of its rows
/// <c>BatchSize / itsSize</c> times as much as the others in every epoch, and training would converge to a
/// weighted fit. Each batch's gradient is therefore scaled by its share of the total weight times the number
/// of batches (<c>W_b * m / W</c>): one epoch's steps then add up to <c>m</c> times the gradient of the
/// objective, whose optimum is the fixed point of training for every batch size.
/// </para>
/// </remarks>
internal sealed class MiniBatchLoop
{
    private readonly Module _model;
    private readonly Loss _loss;
    private readonly Optimizer _optimizer;
    private readonly TrainingData _data;
    private Batch[] _batches;
    private int[] _batchOrder;
    private readonly FastRandom? _random;
    private readonly LearningRateSchedule _schedule;
    private readonly Scheduler? _scheduler;
    private readonly bool _schedulerStepsEveryBatch;
    private readonly float? _maxGradientNorm;
    private readonly long _totalSteps;
    private long _step;

    /// <summary>Epochs of fewer batches report the loss measured over all rows after the epoch.</summary>
    internal const int ExactLossBatchLimit = 32;

    /// <param name="model">The model to train.</param>
    /// <param name="loss">The loss.</param>
    /// <param name="optimizer">The optimizer; its learning rate is set before every step.</param>
    /// <param name="data">The training rows, already transformed as trained.</param>
    /// <param name="batchSize">Rows per step (at most the row count is used).</param>
    /// <param name="random">Shuffles the batch order every epoch, or null to keep it.</param>
    /// <param name="schedule">How the learning rate changes within the run.</param>
    /// <param name="epochs">The epoch limit (the cosine schedule spans it).</param>
    /// <param name="scheduler">A scheduler that sets the learning rate instead of <paramref name="schedule"/>, or null.</param>
    /// <param name="schedulerStepsEveryBatch">Whether <paramref name="scheduler"/> is stepped after every step (else by <see cref="StepSchedulerAfterEpoch"/>).</param>
    /// <param name="maxGradientNorm">Clip the gradient's global 2-norm to this before every step, or null.</param>
    /// <param name="rateForBatchSize">The rate derived for a batch size, which <see cref="SetBatchSize"/> then follows; null for a fixed rate.</param>
    internal MiniBatchLoop(
        Module model, Loss loss, Optimizer optimizer, TrainingData data, int batchSize, FastRandom? random, LearningRateSchedule schedule, int epochs,
        Scheduler? scheduler = null, bool schedulerStepsEveryBatch = false, float? maxGradientNorm = null, Func<int, float>? rateForBatchSize = null)
    {
        _rateForBatchSize = rateForBatchSize;
        _scheduler = scheduler;
        _schedulerStepsEveryBatch = schedulerStepsEveryBatch;
        _maxGradientNorm = maxGradientNorm;
        _model = model;
        _loss = loss;
        _optimizer = optimizer;
        _random = random;
        _data = data;
        (_batches, _batchOrder) = CutBatches(data, batchSize);
        _schedule = schedule;
        _totalSteps = (long)epochs * _batches.Length;
        BaseLearningRate = optimizer.LearningRate;
        _hasTrainingOnlyLayers = model.DependsOnTrainingMode;
    }

    private readonly bool _hasTrainingOnlyLayers;

    /// <summary>
    /// The rate of the constant and adaptive schedules (the derived rate follows the batch size, see <see cref="SetBatchSize"/>),
    /// and the starting rate of the cosine schedule.
    /// </summary>
    internal float BaseLearningRate { get; private set; }

    private readonly Func<int, float>? _rateForBatchSize;

    /// <summary>The rows per batch (the last batch may hold fewer).</summary>
    internal int BatchSize => _batches[0].Labels.Length;

    /// <summary>Whether one batch holds every row (full-batch gradient descent).</summary>
    internal bool IsFullBatch => _batches.Length == 1;

    /// <summary>
    /// Re-cuts the (already shuffled) rows into batches of <paramref name="batchSize"/> rows, from the next epoch on; a rate derived
    /// from the data becomes the one derived for that batch size.
    /// </summary>
    internal void SetBatchSize(int batchSize)
    {
        (_batches, _batchOrder) = CutBatches(_data, batchSize);
        if (_rateForBatchSize is not null)
        {
            BaseLearningRate = _rateForBatchSize(BatchSize);
            if (_scheduler is null)
            {
                _optimizer.LearningRate = BaseLearningRate;
            }
        }
    }

    /// <summary>
    /// The learning rate of the latest step (of the first parameter group when a scheduler sets it): the rate that step
    /// used, not the one a per-batch scheduler has already set for the next step; before the first step, the starting rate.
    /// </summary>
    internal float CurrentLearningRate => float.IsNaN(_stepLearningRate) ? RateInEffect : _stepLearningRate;

    /// <summary>The rate the optimizer would step with now.</summary>
    private float RateInEffect => _scheduler?.LearningRate ?? _optimizer.LearningRate;

    /// <summary>The rate of the latest step, recorded when it starts (NaN before the first).</summary>
    private float _stepLearningRate = float.NaN;

    /// <summary>
    /// Advances the batch-order shuffles, the schedules and the batch size past the epochs of an earlier run (a warm start), so
    /// that continuing a run of n epochs for m more gives the epochs n + 1 ... n + m of a run of n + m epochs with the same seed.
    /// </summary>
    internal void FastForward(IReadOnlyList<GdTrainer.Training.EpochReport> earlier)
    {
        foreach (GdTrainer.Training.EpochReport epoch in earlier)
        {
            if (epoch.BatchSize > 0 && epoch.BatchSize != BatchSize)
            {
                SetBatchSize(epoch.BatchSize);
            }

            if (_batches.Length >= ExactLossBatchLimit)
            {
                _random?.Shuffle(_batchOrder.AsSpan());
            }

            for (int step = 0; step < _batches.Length; step++)
            {
                _step++;
                if (_schedulerStepsEveryBatch && _scheduler is ClosedFormScheduler perStep)
                {
                    perStep.Step();
                }
            }

            StepSchedulerAfterEpoch(epoch.HasValidationLoss ? epoch.ValidationLoss : epoch.TrainingLoss);
        }
    }

    /// <summary>The number of optimizer steps in one epoch at the current batch size.</summary>
    internal int StepsPerEpoch => _batches.Length;

    /// <summary>Steps an epoch-stepped scheduler once, with <paramref name="monitoredLoss"/> for a plateau scheduler.</summary>
    internal void StepSchedulerAfterEpoch(double monitoredLoss)
    {
        switch (_scheduler)
        {
            case ReduceOnPlateauScheduler plateau:
                plateau.Step(monitoredLoss);
                break;
            case ClosedFormScheduler closedForm when !_schedulerStepsEveryBatch:
                closedForm.Step();
                break;
        }
    }

    /// <summary>
    /// The (example-weighted) mean loss of the current model over <paramref name="data"/>, in evaluation mode and without
    /// recording a graph, in chunks of rows (for the validation loss).
    /// </summary>
    internal double EvaluateLoss(TrainingData data)
    {
        // The validation set is the same every epoch: cut its chunks once.
        if (!ReferenceEquals(_evaluationData, data))
        {
            (_evaluationBatches, _) = CutBatches(data, EvaluationChunkRows);
            _evaluationData = data;
        }

        return MeasureLoss(_evaluationBatches!);
    }

    private TrainingData? _evaluationData;
    private Batch[]? _evaluationBatches;

    /// <summary>Rows per forward pass when a loss is measured without training.</summary>
    private const int EvaluationChunkRows = 8192;

    /// <summary>The loss of the first step of the run, before any update (the reference for divergence).</summary>
    internal float InitialLoss { get; private set; } = float.NaN;

    /// <summary>
    /// Runs one epoch and returns its loss. With many batches, it is the weighted mean of the batch losses, each
    /// measured before its update: free, and an average over enough steps to be smooth. With fewer than
    /// <see cref="ExactLossBatchLimit"/> batches that average depends on the order the batches happened to run in
    /// (with 2 batches, by more than the convergence tolerance), so the loss is measured over all rows after the
    /// epoch, at a cost below the epoch's own; a full batch measures it exactly before its one update.
    /// </summary>
    /// <exception cref="InvalidOperationException">A batch loss is NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between batches.</exception>
    internal float RunEpoch(int epoch, CancellationToken cancellationToken)
    {
        _model.Train();
        if (_batches.Length >= ExactLossBatchLimit)
        {
            // With few batches their order stays fixed (the rows were shuffled once): the iterate at the end of an
            // epoch is then a smooth function of the weights, so the loss measured there falls steadily until the
            // run has converged at the current rate, instead of jumping with whichever batch happened to run last.
            _random?.Shuffle(_batchOrder.AsSpan());
        }

        double weightedLossSum = 0;
        double weightedSquareSum = 0;
        double weightSum = 0;
        foreach (int index in _batchOrder)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Batch batch = _batches[index];
            if (_scheduler is null)
            {
                _optimizer.LearningRate = _schedule == LearningRateSchedule.Cosine
                    ? LearningRateScheduler.LearningRateAt(_schedule, BaseLearningRate, _step, _totalSteps)
                    : BaseLearningRate;
            }

            _stepLearningRate = RateInEffect;
            _step++;
            _optimizer.ZeroGrad();
            float value;
            using (Autograd.PooledMemory())
            {
                Tensor<float> loss = _loss.Compute(Predict(batch.Features), batch.Labels, batch.Weights);
                value = loss.Item();
                if (!float.IsFinite(value))
                {
                    throw TrainingErrors.Diverged(epoch, $"the training loss became {value}", CurrentLearningRate);
                }

                loss.Backward(batch.GradientScale);
            }

            if (float.IsNaN(InitialLoss))
            {
                InitialLoss = value;
            }

            if (_maxGradientNorm is { } maxNorm)
            {
                GradientClipping.ClipByNorm(_model.Parameters(), maxNorm);
            }

            _optimizer.Step();
            if (_schedulerStepsEveryBatch && _scheduler is ClosedFormScheduler perStep)
            {
                perStep.Step();
            }
            weightedLossSum += value * batch.TotalWeight;
            weightedSquareSum += (double)value * value * batch.TotalWeight;
            weightSum += batch.TotalWeight;
        }

        if (_batches.Length < ExactLossBatchLimit)
        {
            LossNoise = 0;
            LastLoss = _batches.Length == 1 && !_hasTrainingOnlyLayers ? weightedLossSum / weightSum : MeasureLoss(_batches);
            return (float)LastLoss;
        }

        // The standard error of the weighted mean of the batch losses: an improvement below it is not evidence of progress.
        double mean = weightedLossSum / weightSum;
        double variance = Math.Max((weightedSquareSum / weightSum) - (mean * mean), 0);
        LossNoise = Math.Sqrt(variance / _batches.Length);
        LastLoss = mean;
        return (float)mean;
    }

    /// <summary>The last epoch's loss as returned by <see cref="RunEpoch"/>, in double (for the convergence rule).</summary>
    internal double LastLoss { get; private set; }

    /// <summary>
    /// The standard error of the last epoch's loss as an estimate (0 when it was measured exactly): the spread of its
    /// batch losses over the square root of their number.
    /// </summary>
    internal double LossNoise { get; private set; }

    /// <summary>
    /// The loss of the current model over all rows (without recording a graph). For the linear model and the mean
    /// squared error it is computed in double, predictions included: near the optimum the float computation's rounding
    /// (~5e-9 relative on a few hundred rows) hides the improvements the convergence rule must see to bring the weights
    /// within 1e-4 of the optimum.
    /// </summary>
    private double MeasureLoss(Batch[] batches)
    {
        double weightedLossSum = 0;
        double weightSum = 0;
        _model.Eval();
        try
        {
            using (Autograd.NoGrad())
            {
                foreach (Batch batch in batches)
                {
                    if (_loss is MeanSquaredErrorLoss && _model is LinearModel linear)
                    {
                        weightedLossSum += SquaredErrorInDouble(linear, batch);
                    }
                    else
                    {
                        using (Autograd.PooledMemory())
                        {
                            weightedLossSum += _loss.Compute(Predict(batch.Features), batch.Labels, batch.Weights).Item() * batch.TotalWeight;
                        }
                    }

                    weightSum += batch.TotalWeight;
                }
            }
        }
        finally
        {
            _model.Train();
        }

        return weightedLossSum / weightSum;
    }

    /// <summary>The model's output for a batch, as <c>[n]</c> when it has one output per row (a <c>[n, 1]</c> output is reshaped).</summary>
    private Tensor<float> Predict(Tensor<float> features)
    {
        Tensor<float> output = _model.Forward(features);
        return output.Rank == 2 && output.Shape[1] == 1 ? output.Reshape(output.Shape[0]) : output;
    }

    /// <summary><c>sum(w_i (b + x_i . weights - y_i)^2)</c> over the batch, in double.</summary>
    private static double SquaredErrorInDouble(LinearModel model, Batch batch)
    {
        ReadOnlySpan<float> weights = model.Weights.Data;
        double bias = model.Bias.Data[0];
        ReadOnlySpan<float> x = batch.Features.Data;
        ReadOnlySpan<float> y = batch.Labels.Data;
        ReadOnlySpan<float> w = batch.Weights is null ? default : batch.Weights.Data;
        int d = weights.Length;
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double residual = bias - y[i];
            ReadOnlySpan<float> row = x.Slice(i * d, d);
            for (int j = 0; j < d; j++)
            {
                residual += (double)row[j] * weights[j];
            }

            sum += (w.IsEmpty ? 1.0 : w[i]) * residual * residual;
        }

        return sum;
    }

    /// <summary>Contiguous batches of <paramref name="batchSize"/> rows (views over the training buffers), in order.</summary>
    private static (Batch[] Batches, int[] Order) CutBatches(TrainingData data, int batchSize)
    {
        int rows = data.RowCount;
        int d = data.FeatureCount;
        batchSize = Math.Min(batchSize, rows);
        int count = (rows + batchSize - 1) / batchSize;
        var batches = new Batch[count];
        var order = new int[count];
        for (int b = 0; b < count; b++)
        {
            int start = b * batchSize;
            int size = Math.Min(batchSize, rows - start);
            Tensor<float>? weights = data.Weights is null ? null : Tensor.Wrap(data.Weights, start, [size]);
            double totalWeight = weights is null ? size : System.Numerics.Tensors.TensorPrimitives.Sum<float>(weights.Data);
            var gradientScale = Tensor.Scalar((float)(totalWeight * count / data.TotalWeight));
            batches[b] = new Batch(Tensor.Wrap(data.Features, start * d, [size, d]), Tensor.Wrap(data.Labels, start, [size]), weights, totalWeight, gradientScale);
            order[b] = b;
        }

        return (batches, order);
    }

    /// <summary>
    /// One mini-batch: views over the training buffers, the batch's total example weight, and the factor its
    /// gradient is scaled by (its share of the total weight times the number of batches), as a ready seed for backward.
    /// </summary>
    private sealed record Batch(Tensor<float> Features, Tensor<float> Labels, Tensor<float>? Weights, double TotalWeight, Tensor<float> GradientScale);
}
