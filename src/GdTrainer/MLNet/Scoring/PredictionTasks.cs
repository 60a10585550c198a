namespace GdTrainer.MLNet;

/// <summary>
/// The tasks of the transformers, found by their stored <see cref="PredictionKind"/>. A transformer made with a public
/// constructor is handed no task, and <c>GradientDescentModel.Load</c> (Persistence) meets a saved chain before it knows which
/// task wrote it, yet the tasks sit above both rooms (they build transformers and saved chains): so the Tasks room installs its
/// tasks here when GdTrainer's assembly is loaded (<c>TaskInstallation</c>, a module initializer), before any transformer is
/// made or any model file read, and Scoring and Persistence look them up without naming the Tasks room.
/// </summary>
internal static class PredictionTasks
{
    private static IPredictionTask[] s_tasks = [];

    /// <summary>Every installed task, in the order of their stored kinds.</summary>
    internal static IReadOnlyList<IPredictionTask> All => Volatile.Read(ref s_tasks);

    /// <summary>The task stored as <paramref name="kind"/>.</summary>
    /// <exception cref="InvalidOperationException">No task of that kind is installed.</exception>
    internal static IPredictionTask Get(PredictionKind kind)
    {
        foreach (IPredictionTask task in All)
        {
            if (task.Kind == kind)
            {
                return task;
            }
        }

        throw new InvalidOperationException($"No GdTrainer task of kind {kind} is installed; GdTrainer's module initializer installs every task when its assembly loads.");
    }

    /// <summary>Installs the tasks, one per stored kind (called once, by the Tasks room's module initializer).</summary>
    /// <exception cref="ArgumentException">Two tasks have the same kind.</exception>
    internal static void Install(IReadOnlyList<IPredictionTask> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Select(t => t.Kind).Distinct().Count() != tasks.Count)
        {
            throw new ArgumentException("Each installed task needs a kind of its own.", nameof(tasks));
        }

        Volatile.Write(ref s_tasks, [.. tasks.OrderBy(t => t.Kind)]);
    }
}
