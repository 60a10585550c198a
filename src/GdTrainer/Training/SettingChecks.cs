namespace GdTrainer.Training;

using System.Globalization;
using GdTrainer.Optimizers;

/// <summary>
/// The checks of the training settings that <see cref="TrainerSettings"/> and the ML.NET trainers' options share, worded
/// once: each names the setting (as the parameter name too) and its value, and says what it must be.
/// </summary>
internal static class SettingChecks
{
    internal static void LearningRate(float? learningRate)
    {
        if (learningRate is { } rate && (!float.IsFinite(rate) || rate <= 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), rate,
                $"LearningRate must be a positive finite number (or null to derive it from the data), but was {rate.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    internal static void ConvergenceTolerance(float? convergenceTolerance)
    {
        if (convergenceTolerance is { } tolerance && (!float.IsFinite(tolerance) || tolerance < 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(ConvergenceTolerance), convergenceTolerance,
                $"ConvergenceTolerance must be a finite number >= 0 (a relative improvement, e.g. 1e-5), but was {tolerance.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    internal static void Patience(int? patience)
    {
        if (patience is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Patience), patience, $"Patience must be at least 0 epochs (0 disables convergence stopping), but was {patience}.");
        }
    }

    internal static void NumberOfEpochs(int? epochs)
    {
        if (epochs is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(NumberOfEpochs), epochs, $"NumberOfEpochs must be at least 1, but was {epochs}.");
        }
    }

    internal static void BatchSize(int batchSize)
    {
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), batchSize,
                $"BatchSize must be at least 1, but was {batchSize}. Use Options.FullBatch (int.MaxValue) for full-batch gradient descent.");
        }
    }

    internal static void L2Regularization(float l2)
    {
        if (!float.IsFinite(l2) || l2 < 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(L2Regularization), l2,
                $"L2Regularization must be a finite number >= 0, but was {l2.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    internal static void MaxGradientNorm(float? maxGradientNorm)
    {
        if (maxGradientNorm is { } norm && (!float.IsFinite(norm) || norm <= 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxGradientNorm), norm, $"MaxGradientNorm must be a positive finite number (or null for no clipping), but was {norm.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    internal static void ValidationFraction(float fraction)
    {
        if (!(fraction >= 0f && fraction < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), fraction,
                $"ValidationFraction must be in [0, 1) (e.g. 0.1 to hold out 10% of the rows), but was {fraction.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    internal static void LossLoggingInterval(int interval)
    {
        if (interval < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(LossLoggingInterval), interval, $"LossLoggingInterval must be at least 1 (epochs), but was {interval}.");
        }
    }

    internal static void NumberOfThreads(int? threads)
    {
        if (threads is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(NumberOfThreads), threads, string.Create(CultureInfo.InvariantCulture,
                $"NumberOfThreads must be at least 1 (1 trains on the calling thread alone), or null for every core ({Environment.ProcessorCount} on this machine), but was {threads}."));
        }
    }

    /// <summary>The schedule is defined, and a scheduler object is not combined with the cosine schedule (both would set the rate).</summary>
    internal static void Schedules(LearningRateSchedule? schedule, SchedulerSettings? scheduler)
    {
        if (schedule is { } value && !Enum.IsDefined(value))
        {
            throw new ArgumentOutOfRangeException("LearningRateSchedule", schedule,
                $"LearningRateSchedule must be one of {string.Join(", ", Enum.GetNames<LearningRateSchedule>())}, but was {(int)value}.");
        }

        if (scheduler is not null && schedule == LearningRateSchedule.Cosine)
        {
            throw new ArgumentException(
                "LearningRateSchedule is Cosine and LearningRateScheduler is set: both would set the learning rate. Use SchedulerSettings.Cosine() and leave LearningRateSchedule null.",
                "LearningRateScheduler");
        }
    }
}
