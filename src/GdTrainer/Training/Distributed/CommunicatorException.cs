namespace GdTrainer.Training;

/// <summary>
/// A collective of a <see cref="Communicator"/> could not complete: another rank failed, stopped answering, left, or called
/// another collective. The message names this rank, the collective, the ranks at fault when they are known (and says so when
/// they are not), and what to check. After it, every call on the communicator throws it again: a run cannot continue with a
/// rank missing, so end the process (<see cref="MpiCommunicator.Abort(int)"/> ends every rank of an MPI job). It is an
/// <see cref="InvalidOperationException"/>, like the trainer's other errors that end a run.
/// </summary>
public sealed class CommunicatorException : InvalidOperationException
{
    /// <summary>Creates the error for <paramref name="rank"/>, naming <paramref name="failedRanks"/>.</summary>
    /// <param name="message">The whole message, worded by the communicator.</param>
    /// <param name="rank">The rank that raised it.</param>
    /// <param name="collective">The collective that did not complete, e.g. "all-gather #17".</param>
    /// <param name="failedRanks">The ranks at fault, ascending; empty when they cannot be known.</param>
    /// <param name="inner">The underlying error, if any (a native MPI error, or the original failure of a rank in this process).</param>
    internal CommunicatorException(string message, int rank, string collective, IReadOnlyList<int> failedRanks, Exception? inner = null)
        : base(message, inner)
    {
        Rank = rank;
        Collective = collective;
        FailedRanks = failedRanks;
    }

    /// <summary>The rank on which this error was raised (0-based).</summary>
    public int Rank { get; }

    /// <summary>The collective that did not complete, with its sequence number on this rank, e.g. "all-gather #17".</summary>
    public string Collective { get; }

    /// <summary>
    /// The ranks that failed, left, did not answer or were in another collective, ascending. Empty when no rank could be blamed
    /// (every rank was waiting in the same collective, so the transport itself is at fault).
    /// </summary>
    public IReadOnlyList<int> FailedRanks { get; }
}
