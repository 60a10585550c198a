namespace GdTrainer.Training;

using System.Globalization;

/// <summary>
/// Ranks that are threads of one process: each thread holds one of the group's communicators and calls the same collectives
/// as the others. The results are those of <see cref="MpiCommunicator"/> bit for bit (the reductions are the base class's), so
/// a run's determinism over 1, 2 or 4 ranks can be checked without MPI; and a rank that stops calling, leaves or fails makes
/// the others throw a <see cref="CommunicatorException"/> naming it, as on MPI.
/// </summary>
/// <example>
/// <code>
/// InProcessCommunicator[] ranks = InProcessCommunicator.CreateGroup(4);
/// Parallel.For(0, 4, r => { using Communicator c = ranks[r]; double total = c.AllReduce(r + 1.0, ReduceOperation.Sum); });
/// </code>
/// </example>
public sealed class InProcessCommunicator : Communicator
{
    private readonly InProcessGroup _group;

    private InProcessCommunicator(InProcessGroup group, int rank)
        : base(rank, group.Size, group.Timeout)
    {
        _group = group;
    }

    /// <summary>Creates the communicators of <paramref name="size"/> ranks, with the collective timeout <see cref="Communicator.DefaultTimeout"/> (30 s).</summary>
    /// <param name="size">The number of ranks, at least 1.</param>
    /// <returns>The communicator of each rank, indexed by rank; give each to its own thread.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is less than 1.</exception>
    public static InProcessCommunicator[] CreateGroup(int size) => CreateGroup(size, DefaultTimeout);

    /// <summary>Creates the communicators of <paramref name="size"/> ranks whose collectives wait at most <paramref name="timeout"/> for the others.</summary>
    /// <param name="size">The number of ranks, at least 1.</param>
    /// <param name="timeout">How long a collective waits for the other ranks, positive and at most a day.</param>
    /// <returns>The communicator of each rank, indexed by rank; give each to its own thread.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is less than 1, or <paramref name="timeout"/> is not positive or exceeds a day.</exception>
    public static InProcessCommunicator[] CreateGroup(int size, TimeSpan timeout)
    {
        if (size < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(size), string.Create(CultureInfo.InvariantCulture, $"A group has at least 1 rank, not {size}."));
        }

        CheckTimeout(timeout, nameof(timeout));
        var group = new InProcessGroup(size, timeout);
        var ranks = new InProcessCommunicator[size];
        for (int r = 0; r < size; r++)
        {
            ranks[r] = new InProcessCommunicator(group, r);
        }

        return ranks;
    }

    private protected override void AllGatherCore(ReadOnlySpan<byte> send, Span<byte> receive, int[] byteCounts, string collective) =>
        _group.Exchange(Rank, "all-gather", collective, send.ToArray(), byteCounts).CopyTo(receive);

    private protected override void BroadcastCore(Span<byte> buffer, int root, string collective)
    {
        byte[] result = _group.Exchange(Rank, "broadcast", collective, Rank == root ? buffer.ToArray() : [], [root, buffer.Length]);
        if (Rank != root)
        {
            result.CopyTo(buffer);
        }
    }

    private protected override void BarrierCore(string collective) => _group.Exchange(Rank, "barrier", collective, [], []);

    private protected override void NotifyFailure(string reason) => _group.Fail(Rank, reason);

    private protected override void DisposeCore(bool failed) => _group.Leave(Rank);
}
