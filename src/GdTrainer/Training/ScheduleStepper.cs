namespace GdTrainer.Training;

using GdTrainer.Optimizers;

/// <summary>
/// Steps the run's one learning-rate scheduler at the moments it asks for: after every optimizer step, after every epoch
/// (with the monitored loss for a plateau scheduler), or when the batch size changes (the rate derived from the data
/// follows the batch). No other code writes the learning rate during a run.
/// </summary>
internal sealed class ScheduleStepper(Scheduler? scheduler, bool stepsEveryBatch)
{
    /// <summary>The scheduler, or null when the rate stays the one the optimizer was created with.</summary>
    internal Scheduler? Scheduler => scheduler;

    /// <summary>After an optimizer step.</summary>
    internal void AfterStep()
    {
        if (stepsEveryBatch && scheduler is ClosedFormScheduler perStep)
        {
            perStep.Step();
        }
    }

    /// <summary>After an epoch; <paramref name="monitoredLoss"/> is the validation loss when there is one, else the training loss.</summary>
    internal void AfterEpoch(double monitoredLoss)
    {
        switch (scheduler)
        {
            case ReduceOnPlateauScheduler plateau:
                plateau.Step(monitoredLoss);
                break;
            case ClosedFormScheduler closedForm when !stepsEveryBatch:
                closedForm.Step();
                break;
        }
    }

    /// <summary>After the batch grew to <paramref name="batchSize"/> rows.</summary>
    internal void BatchSizeChanged(int batchSize)
    {
        if (scheduler is BatchSizeRateScheduler followsBatch)
        {
            followsBatch.FollowBatchSize(batchSize);
        }
    }
}
