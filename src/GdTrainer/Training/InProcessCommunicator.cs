namespace GdTrainer.Training;

using System.Globalization;

/// <summary>
/// Ranks that are threads of one process (<see cref="IShardCommunicator"/> without MPI): <see cref="CreateGroup"/> returns one
/// communicator per rank, each to be used by its own thread, typically each running its own <see cref="ModuleTrainer.Fit"/> on the
/// same data. It exercises everything the data-parallel step does across ranks (the block of shards of each rank, the exchange of
/// subtree sums, the completion of the tree) in a unit test, with the same results an MPI run must give.
/// </summary>
/// <remarks>
/// An exchange copies each rank's values into the group, waits until every rank has, copies all of them out, and waits again until
/// every rank has read. A rank that does not arrive within the timeout, or that left the group (<see cref="Dispose"/>, e.g. after its
/// training failed), makes every waiting rank fail with an <see cref="InvalidOperationException"/> that names it: never a hang.
/// </remarks>
internal sealed class InProcessCommunicator : IShardCommunicator, IDisposable
{
    private readonly Group _group;

    private InProcessCommunicator(Group group, int rank)
    {
        _group = group;
        Rank = rank;
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size => _group.Size;

    /// <summary>The communicators of a group of <paramref name="size"/> ranks, rank 0 first.</summary>
    /// <param name="size">The number of ranks, at least 1.</param>
    /// <param name="timeout">How long a rank waits for the others in an exchange before it fails.</param>
    internal static InProcessCommunicator[] CreateGroup(int size, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var group = new Group(size, timeout);
        var ranks = new InProcessCommunicator[size];
        for (int rank = 0; rank < size; rank++)
        {
            ranks[rank] = new InProcessCommunicator(group, rank);
        }

        return ranks;
    }

    /// <inheritdoc/>
    public void AllGather(ReadOnlySpan<double> values, Span<double> gathered, ReadOnlySpan<int> counts) => _group.Exchange(Rank, values, gathered, counts, _group.Doubles);

    /// <inheritdoc/>
    public void AllGather(ReadOnlySpan<float> values, Span<float> gathered, ReadOnlySpan<int> counts) => _group.Exchange(Rank, values, gathered, counts, _group.Floats);

    /// <summary>Leaves the group: a rank still waiting for this one, or arriving later, fails instead of waiting.</summary>
    public void Dispose() => _group.Leave(Rank);

    /// <summary>What the ranks of one group share.</summary>
    private sealed class Group(int size, TimeSpan timeout)
    {
        private readonly object _lock = new();
        private int _arrived;
        private long _generation;
        private int _left = -1;

        internal int Size { get; } = size;

        internal double[][] Doubles { get; } = CreateSlots<double>(size);

        internal float[][] Floats { get; } = CreateSlots<float>(size);

        internal void Exchange<T>(int rank, ReadOnlySpan<T> values, Span<T> gathered, ReadOnlySpan<int> counts, T[][] slots)
        {
            if (counts.Length != Size || values.Length != counts[rank])
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Rank {rank} passed {values.Length} values with {counts.Length} counts, but the group has {Size} ranks and counts[{rank}] is {(rank < counts.Length ? counts[rank] : -1)}."));
            }

            if (slots[rank].Length < values.Length)
            {
                slots[rank] = new T[Math.Max(values.Length, slots[rank].Length * 2)];
            }

            values.CopyTo(slots[rank]);
            Arrive(rank);
            int at = 0;
            for (int r = 0; r < Size; r++)
            {
                slots[r].AsSpan(0, counts[r]).CopyTo(gathered.Slice(at));
                at += counts[r];
            }

            Arrive(rank); // Nobody writes its slot again before every rank has read them all.
        }

        internal void Leave(int rank)
        {
            lock (_lock)
            {
                if (_left < 0)
                {
                    _left = rank;
                }

                Monitor.PulseAll(_lock);
            }
        }

        private void Arrive(int rank)
        {
            lock (_lock)
            {
                ThrowIfLeft(rank);
                long generation = _generation;
                if (++_arrived == Size)
                {
                    _arrived = 0;
                    _generation++;
                    Monitor.PulseAll(_lock);
                    return;
                }

                long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
                while (_generation == generation)
                {
                    ThrowIfLeft(rank);
                    long remaining = deadline - Environment.TickCount64;
                    if (remaining <= 0 || !Monitor.Wait(_lock, TimeSpan.FromMilliseconds(remaining)) && _generation == generation)
                    {
                        ThrowIfLeft(rank);
                        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                            $"Rank {rank} waited {timeout.TotalSeconds:G3} s for the other {Size - 1} ranks of its in-process group in an exchange; {Size - _arrived} of them did not arrive."));
                    }
                }
            }
        }

        private void ThrowIfLeft(int rank)
        {
            if (_left >= 0 && _left != rank)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"Rank {_left} left the in-process group (its training ended or failed) while rank {rank} still exchanged with it."));
            }
        }

        private static T[][] CreateSlots<T>(int size)
        {
            var slots = new T[size][];
            for (int r = 0; r < size; r++)
            {
                slots[r] = [];
            }

            return slots;
        }
    }
}
