namespace GdTrainer.Training;

using GdTrainer.Optimizers;

/// <summary>
/// The scheduler of a learning rate derived from the data for the batch size (<see cref="LinearCurvature.RateFor"/>):
/// when the adaptive schedule grows the batch, the small-batch term of the curvature shrinks, so the rate grows with it
/// (on adult 0.52 at 256 rows and 0.82 at 2,560: the run needs fewer epochs). Groups whose initial rate differs keep
/// their ratio to the derived one.
/// </summary>
internal sealed class BatchSizeRateScheduler : Scheduler
{
    private readonly Func<int, float> _rateFor;
    private readonly float _baseRate;

    /// <param name="optimizer">The optimizer, created with <paramref name="rateFor"/> at the starting batch size.</param>
    /// <param name="rateFor">The derived rate for a batch size.</param>
    /// <param name="baseRate">The rate the optimizer was created with.</param>
    internal BatchSizeRateScheduler(Optimizer optimizer, Func<int, float> rateFor, float baseRate)
        : base(optimizer)
    {
        _rateFor = rateFor;
        _baseRate = baseRate;
    }

    /// <summary>Writes the rate derived for <paramref name="batchSize"/> into every group.</summary>
    internal void FollowBatchSize(int batchSize)
    {
        float rate = _rateFor(batchSize);
        IReadOnlyList<float> initial = InitialLearningRates;
        for (int g = 0; g < initial.Count; g++)
        {
            SetLearningRate(g, initial[g] == _baseRate ? rate : (float)((double)initial[g] / _baseRate * rate));
        }

        StepCount++;
    }
}
