namespace GdTrainer.Training;

/// <summary>The length of a training run, as a scheduler factory sees it (see <see cref="SchedulerSettings.Custom"/>).</summary>
/// <param name="Epochs">The epoch limit of the run.</param>
/// <param name="StepsPerEpoch">The optimizer steps in one epoch at the starting batch size.</param>
public readonly record struct TrainingLength(int Epochs, int StepsPerEpoch)
{
    /// <summary>The optimizer steps of the whole run at the starting batch size (<c>Epochs * StepsPerEpoch</c>, capped at <see cref="int.MaxValue"/>).</summary>
    public int TotalSteps => (int)Math.Min((long)Epochs * StepsPerEpoch, int.MaxValue);
}
