namespace GdTrainer.Training;

using System.Diagnostics;
using System.Globalization;

/// <summary>
/// The meeting point of an <see cref="InProcessCommunicator"/> group: each collective is a round, numbered by the order in
/// which each rank calls it, to which every rank brings its bytes; the last to arrive combines them, and every rank copies
/// the result out. A rank waits on the group's monitor until its round is complete, a rank fails or leaves, or the timeout
/// passes; then it knows exactly which ranks did not come.
/// </summary>
internal sealed class InProcessGroup
{
    private readonly object _gate = new();
    private readonly Dictionary<long, Round> _rounds = [];
    private readonly long[] _calls;
    private readonly string?[] _lastCollective;
    private readonly string?[] _failures;
    private readonly bool[] _left;

    internal InProcessGroup(int size, TimeSpan timeout)
    {
        Size = size;
        Timeout = timeout;
        _calls = new long[size];
        _lastCollective = new string?[size];
        _failures = new string?[size];
        _left = new bool[size];
    }

    internal int Size { get; }

    internal TimeSpan Timeout { get; }

    /// <summary>
    /// Brings <paramref name="contribution"/> of <paramref name="rank"/> to its next round and returns the round's result: the
    /// contributions by rank for an all-gather, the root's for a broadcast. Every rank must pass the same kind and arguments.
    /// </summary>
    internal byte[] Exchange(int rank, string kind, string collective, byte[] contribution, int[] arguments)
    {
        lock (_gate)
        {
            long number = ++_calls[rank];
            _lastCollective[rank] = collective;
            if (!_rounds.TryGetValue(number, out Round? round))
            {
                round = new Round(Size);
                _rounds.Add(number, round);
            }

            round.Arrive(rank, kind, collective, contribution, arguments);
            if (round.Arrived == Size)
            {
                round.Complete();
                Monitor.PulseAll(_gate);
            }

            long start = Stopwatch.GetTimestamp();
            while (!round.IsComplete)
            {
                if (Failure(rank, round, collective, start) is { } failure)
                {
                    throw failure;
                }

                TimeSpan left = Timeout - Stopwatch.GetElapsedTime(start);
                Monitor.Wait(_gate, left > TimeSpan.Zero ? left : TimeSpan.Zero);
            }

            if (round.Mismatch is { } mismatch)
            {
                throw Error(rank, collective, $"the ranks called different collectives at this point: {mismatch}. Every rank must call the same collectives in the same order with the same sizes (a program error).", round.MismatchedRanks);
            }

            byte[] result = round.Result!;
            if (++round.Readers == Size)
            {
                _rounds.Remove(number);
            }

            return result;
        }
    }

    /// <summary>Records that <paramref name="rank"/> failed with <paramref name="reason"/> and wakes the waiting ranks.</summary>
    internal void Fail(int rank, string reason)
    {
        lock (_gate)
        {
            _failures[rank] = reason;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Records that <paramref name="rank"/> left (disposed its communicator) and wakes the waiting ranks.</summary>
    internal void Leave(int rank)
    {
        lock (_gate)
        {
            _left[rank] = true;
            Monitor.PulseAll(_gate);
        }
    }

    private CommunicatorException? Failure(int rank, Round round, string collective, long start)
    {
        for (int r = 0; r < Size; r++)
        {
            if (r != rank && _failures[r] is { } reason)
            {
                return Error(rank, collective, $"rank {r} failed: {reason}", [r]);
            }
        }

        var left = new List<int>();
        for (int r = 0; r < Size; r++)
        {
            if (_left[r] && !round.HasArrived(r))
            {
                left.Add(r);
            }
        }

        if (left.Count > 0)
        {
            return Error(rank, collective, $"{Ranks(left)} left the group (disposed {(left.Count == 1 ? "its communicator" : "their communicators")}) without taking part in it. Every rank must call the same collectives before it disposes its communicator.", left);
        }

        if (Stopwatch.GetElapsedTime(start) < Timeout)
        {
            return null;
        }

        var missing = new List<int>();
        var detail = new List<string>();
        for (int r = 0; r < Size; r++)
        {
            if (!round.HasArrived(r))
            {
                missing.Add(r);
                detail.Add(string.Create(CultureInfo.InvariantCulture, $"rank {r}'s last collective was {_lastCollective[r] ?? "none"}"));
            }
        }

        return Error(rank, collective,
            string.Create(CultureInfo.InvariantCulture,
                $"it did not complete within {Timeout.TotalSeconds:0.###} s: {Ranks(missing)} did not take part ({string.Join("; ", detail)}). {(missing.Count == 1 ? "That thread" : "Those threads")} stopped, hung, or spent longer than the timeout outside the collectives: check what {(missing.Count == 1 ? "it was" : "they were")} doing, or give the group a longer timeout."),
            missing);
    }

    private CommunicatorException Error(int rank, string collective, string what, IReadOnlyList<int> ranks) =>
        new(string.Create(CultureInfo.InvariantCulture, $"Rank {rank} of {Size} (in-process): the {collective} failed: {what}"), rank, collective, ranks);

    private static string Ranks(List<int> ranks) =>
        (ranks.Count == 1 ? "rank " : "ranks ") + string.Join(", ", ranks);

    private sealed class Round(int size)
    {
        private readonly string?[] _kinds = new string?[size];
        private readonly string?[] _collectives = new string?[size];
        private readonly byte[]?[] _contributions = new byte[]?[size];
        private readonly int[]?[] _arguments = new int[]?[size];

        internal int Arrived { get; private set; }

        internal int Readers { get; set; }

        internal bool IsComplete { get; private set; }

        internal byte[]? Result { get; private set; }

        internal string? Mismatch { get; private set; }

        internal List<int> MismatchedRanks { get; } = [];

        internal bool HasArrived(int rank) => _kinds[rank] is not null;

        internal void Arrive(int rank, string kind, string collective, byte[] contribution, int[] arguments)
        {
            _kinds[rank] = kind;
            _collectives[rank] = collective;
            _contributions[rank] = contribution;
            _arguments[rank] = arguments;
            Arrived++;
        }

        internal void Complete()
        {
            IsComplete = true;
            for (int r = 1; r < size; r++)
            {
                if (_kinds[r] != _kinds[0] || !_arguments[r]!.AsSpan().SequenceEqual(_arguments[0]))
                {
                    MismatchedRanks.Add(r);
                }
            }

            if (MismatchedRanks.Count > 0)
            {
                MismatchedRanks.Insert(0, 0);
                Mismatch = string.Join("; ", Enumerable.Range(0, size).Select(r => string.Create(CultureInfo.InvariantCulture,
                    $"rank {r} called the {_collectives[r]}{(_kinds[r] == "all-gather" ? " with counts [" + string.Join(", ", _arguments[r]!) + "] bytes" : _kinds[r] == "broadcast" ? $" from root {_arguments[r]![0]} of {_arguments[r]![1]:N0} bytes" : string.Empty)}")));
                return;
            }

            Result = _kinds[0] switch
            {
                "broadcast" => _contributions[_arguments[0]![0]]!,
                "all-gather" => Concatenate(),
                _ => [],
            };
        }

        private byte[] Concatenate()
        {
            int total = 0;
            for (int r = 0; r < size; r++)
            {
                total += _contributions[r]!.Length;
            }

            var result = new byte[total];
            int offset = 0;
            for (int r = 0; r < size; r++)
            {
                _contributions[r]!.CopyTo(result, offset);
                offset += _contributions[r]!.Length;
            }

            return result;
        }
    }
}
