namespace GdTrainer.Training;

using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

/// <summary>
/// The ranks of a data-parallel run and the collectives they call together: all-gather, all-reduce of a few statistics,
/// broadcast and barrier. Every rank calls the same collectives in the same order with matching sizes; every collective
/// returns the same bits on every rank, and a result never depends on how the transport combined the values (the
/// reductions are taken here, in rank order, from an all-gather).
/// </summary>
/// <remarks>
/// <para>Two implementations: <see cref="MpiCommunicator"/>, the ranks of an MPI job (<c>mpiexec -n 4 dotnet app.dll</c>),
/// and <see cref="InProcessCommunicator"/>, ranks that are threads of one process (for tests and for trying a run's
/// determinism without MPI).</para>
/// <para>No collective waits forever: each has a deadline of <see cref="Timeout"/>. A rank that fails, leaves, stops
/// answering or calls another collective makes every waiting rank throw a <see cref="CommunicatorException"/> that names
/// it (docs/distributed.md, "Failures"). After that every call throws again; end the process.</para>
/// <para>A communicator is used by one thread at a time (calls from several threads are serialised).</para>
/// </remarks>
public abstract class Communicator : IDisposable, IShardCommunicator
{
    private readonly object _gate = new();
    private long _sequence;
    private long _collectiveTicks;
    private CommunicatorException? _failure;
    private bool _disposed;

    // The staged all-gather (IShardCommunicator.StageAllGather): its byte counts, this rank's part and the whole, and, for a
    // communicator without memory of its own to stage in, the managed buffers.
    private int[]? _stagedByteCounts;
    private int _stagedSendBytes;
    private int _stagedTotalBytes;
    private float[] _stagedSend = [];
    private float[] _stagedReceive = [];

    private protected Communicator(int rank, int size, TimeSpan timeout)
    {
        if (size < 1 || rank < 0 || rank >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), string.Create(CultureInfo.InvariantCulture, $"Rank {rank} of {size}: a rank is in [0, size) and size is at least 1."));
        }

        CheckTimeout(timeout, nameof(timeout));
        Rank = rank;
        Size = size;
        Timeout = timeout;
    }

    /// <summary>The default of <see cref="Timeout"/>: 30 seconds, so that a rank that stops answering is reported within a minute (30 s, then a probe of at most 5 s).</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(30);

    /// <summary>This process's rank, in <c>[0, Size)</c>. Rank 0 is the one that saves and reports.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks, at least 1.</summary>
    public int Size { get; }

    /// <summary>
    /// How long a collective waits for the other ranks before it looks for the ones that did not come
    /// (default <see cref="DefaultTimeout"/>, 30 s). It bounds the time a rank may spend between two collectives while
    /// the others wait, so a run whose ranks legitimately drift apart further (a long pass over unequal shards) needs a
    /// larger one.
    /// </summary>
    public TimeSpan Timeout { get; }

    /// <summary>Whether a collective has failed on this communicator, after which every call throws.</summary>
    public bool IsFailed => Volatile.Read(ref _failure) is not null;

    /// <summary>
    /// The number of collectives this rank has called (each all-gather, all-reduce, broadcast and barrier counts once), for
    /// reporting what a run exchanged; a training step of a run with several ranks calls one or two.
    /// </summary>
    public long CollectiveCount => Interlocked.Read(ref _sequence);

    /// <summary>
    /// The wall time this rank has spent inside collectives, waiting for the other ranks included: with
    /// <see cref="CollectiveCount"/>, the exchange's share of a run (docs/distributed.md reports it per step).
    /// </summary>
    public TimeSpan TimeInCollectives => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _collectiveTicks));

    /// <summary>
    /// Gathers <paramref name="local"/> from every rank into <paramref name="gathered"/>, rank 0's first, then rank 1's, ...;
    /// every rank passes the same number of elements. <paramref name="gathered"/> is the same on every rank, bit for bit.
    /// </summary>
    /// <typeparam name="T">An unmanaged element type (<see cref="float"/>, <see cref="double"/>, <see cref="long"/>, a struct of them); its bytes are copied as they are.</typeparam>
    /// <param name="local">This rank's elements.</param>
    /// <param name="gathered">Receives <c>Size * local.Length</c> elements.</param>
    /// <exception cref="ArgumentException"><paramref name="gathered"/> is not <c>Size</c> times as long as <paramref name="local"/>, or the gathered bytes exceed 2 GiB.</exception>
    /// <exception cref="CommunicatorException">A rank failed, left, did not answer within <see cref="Timeout"/>, or called another collective.</exception>
    /// <exception cref="ObjectDisposedException">The communicator was disposed.</exception>
    public void AllGather<T>(ReadOnlySpan<T> local, Span<T> gathered)
        where T : unmanaged
    {
        if ((long)local.Length * Size != gathered.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Rank {Rank} of {Size}: the all-gather of {local.Length:N0} elements from each rank needs a destination of {(long)local.Length * Size:N0}, not {gathered.Length:N0}."), nameof(gathered));
        }

        GatherEqual("all-gather", local, gathered);
    }

    /// <summary>
    /// Gathers <paramref name="local"/> from every rank into <paramref name="gathered"/>, rank 0's <c>counts[0]</c> elements
    /// first, then rank 1's <c>counts[1]</c>, ...: the all-gather of unequal parts, e.g. the gradient sums of each rank's whole
    /// subtrees of micro-shards. Every rank passes the same <paramref name="counts"/>. <paramref name="gathered"/> is the same
    /// on every rank, bit for bit.
    /// </summary>
    /// <typeparam name="T">An unmanaged element type; its bytes are copied as they are.</typeparam>
    /// <param name="local">This rank's elements, <c>counts[Rank]</c> of them.</param>
    /// <param name="gathered">Receives the sum of <paramref name="counts"/> elements.</param>
    /// <param name="counts">The number of elements of each rank, <c>Size</c> of them, each at least 0.</param>
    /// <exception cref="ArgumentException">The lengths do not match <paramref name="counts"/>, a count is negative, or the gathered bytes exceed 2 GiB.</exception>
    /// <exception cref="CommunicatorException">A rank failed, left, did not answer within <see cref="Timeout"/>, or called another collective.</exception>
    /// <exception cref="ObjectDisposedException">The communicator was disposed.</exception>
    public void AllGather<T>(ReadOnlySpan<T> local, Span<T> gathered, ReadOnlySpan<int> counts)
        where T : unmanaged => Gather("all-gather", local, gathered, counts);

    private void Gather<T>(string kind, ReadOnlySpan<T> local, Span<T> gathered, ReadOnlySpan<int> counts)
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        int[] byteCounts = ByteCounts(counts, size, out long total);
        if (local.Length != counts[Rank])
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Rank {Rank} of {Size}: the all-gather's count for this rank is {counts[Rank]:N0}, but it passed {local.Length:N0} elements."), nameof(local));
        }

        if (gathered.Length * (long)size != total)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Rank {Rank} of {Size}: the all-gather of {total / size:N0} elements in all needs a destination of that length, not {gathered.Length:N0}."), nameof(gathered));
        }

        Run(kind, (long)local.Length * size, MemoryMarshal.AsBytes(local), MemoryMarshal.AsBytes(gathered), byteCounts,
            static (self, name, send, receive, byteCounts) => self.AllGatherCore(send, receive, byteCounts, name));
    }

    /// <summary>Checks an all-gather's counts (one per rank, none negative, at most 2 GiB in all) and gives them in bytes.</summary>
    private int[] ByteCounts(ReadOnlySpan<int> counts, int size, out long total)
    {
        if (counts.Length != Size)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Rank {Rank} of {Size}: the all-gather needs a count for each of the {Size} ranks, not {counts.Length}."), nameof(counts));
        }

        int[] byteCounts = new int[Size];
        total = 0;
        for (int r = 0; r < Size; r++)
        {
            if (counts[r] < 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Rank {Rank} of {Size}: the all-gather's count for rank {r} is {counts[r]}; counts are at least 0."), nameof(counts));
            }

            long bytes = (long)counts[r] * size;
            total += bytes;
            if (total > int.MaxValue)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Rank {Rank} of {Size}: the all-gather would move more than 2 GiB ({int.MaxValue:N0} bytes) in one call; split it into several."), nameof(counts));
            }

            byteCounts[r] = (int)bytes;
        }

        return byteCounts;
    }

    /// <summary>
    /// Combines <paramref name="value"/> over the ranks with <paramref name="operation"/>, taken in rank order; every rank gets
    /// the same bits. For statistics and decisions (losses, counts, a flag that any rank asked to stop), not for large buffers.
    /// </summary>
    /// <param name="value">This rank's value.</param>
    /// <param name="operation">The combination: <see cref="ReduceOperation.Sum"/> (rank 0's value first), <see cref="ReduceOperation.Max"/> or <see cref="ReduceOperation.Min"/>.</param>
    /// <returns>The combined value.</returns>
    /// <exception cref="CommunicatorException">A rank failed, left, did not answer within <see cref="Timeout"/>, or called another collective.</exception>
    /// <exception cref="ObjectDisposedException">The communicator was disposed.</exception>
    public double AllReduce(double value, ReduceOperation operation)
    {
        Span<double> one = [value];
        AllReduce(one, operation);
        return one[0];
    }

    /// <summary>
    /// Combines each element of <paramref name="values"/> over the ranks with <paramref name="operation"/>, in place, taken
    /// in rank order (an all-gather, then the same left fold on every rank); every rank gets the same bits. Every rank passes
    /// the same number of values. The sum depends on which rank holds which value: for a result that does not depend on the
    /// number of ranks, gather partial sums of fixed blocks of rows (<see cref="AllGather{T}(ReadOnlySpan{T}, Span{T}, ReadOnlySpan{int})"/>) and add them in block order.
    /// </summary>
    /// <param name="values">This rank's values; receives the combined values.</param>
    /// <param name="operation">The combination.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="operation"/> is not a defined value.</exception>
    /// <exception cref="CommunicatorException">A rank failed, left, did not answer within <see cref="Timeout"/>, or called another collective.</exception>
    /// <exception cref="ObjectDisposedException">The communicator was disposed.</exception>
    public void AllReduce(Span<double> values, ReduceOperation operation) => Reduce(values, operation);

    /// <summary>Combines <paramref name="value"/> over the ranks with <paramref name="operation"/>; every rank gets the same value.</summary>
    /// <param name="value">This rank's value.</param>
    /// <param name="operation">The combination.</param>
    /// <returns>The combined value.</returns>
    /// <exception cref="OverflowException">The sum does not fit a <see cref="long"/>.</exception>
    /// <exception cref="CommunicatorException">A rank failed, left, did not answer within <see cref="Timeout"/>, or called another collective.</exception>
    /// <exception cref="ObjectDisposedException">The communicator was disposed.</exception>
    public long AllReduce(long value, ReduceOperation operation)
    {
        Span<long> one = [value];
        AllReduce(one, operation);
        return one[0];
    }

    /// <summary>Combines each element of <paramref name="values"/> over the ranks with <paramref name="operation"/>, in place; every rank passes the same number of values.</summary>
    /// <param name="values">This rank's values; receives the combined values.</param>
    /// <param name="operation">The combination.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="operation"/> is not a defined value.</exception>
    /// <exception cref="OverflowException">A sum does not fit a <see cref="long"/> (the same on every rank).</exception>
    /// <exception cref="CommunicatorException">A rank failed, left, did not answer within <see cref="Timeout"/>, or called another collective.</exception>
    /// <exception cref="ObjectDisposedException">The communicator was disposed.</exception>
    public void AllReduce(Span<long> values, ReduceOperation operation) => Reduce(values, operation);

    /// <summary>
    /// The all-reduces: an all-gather, then the same left fold in rank order on every rank. A sum is checked (it throws on a
    /// <see cref="long"/> overflow; a double's checked addition is its plain one); Max and Min propagate NaN, as Math.Max does.
    /// </summary>
    private void Reduce<T>(Span<T> values, ReduceOperation operation)
        where T : unmanaged, INumber<T>
    {
        CheckOperation(operation);
        T[] all = new T[(long)values.Length * Size];
        GatherEqual<T>("all-reduce", values, all);
        for (int i = 0; i < values.Length; i++)
        {
            T result = all[i];
            for (int r = 1; r < Size; r++)
            {
                T next = all[(r * values.Length) + i];
                result = operation switch
                {
                    ReduceOperation.Sum => checked(result + next),
                    ReduceOperation.Max => T.Max(result, next),
                    _ => T.Min(result, next),
                };
            }

            values[i] = result;
        }
    }

    /// <summary>
    /// Copies <paramref name="buffer"/> of rank <paramref name="root"/> into <paramref name="buffer"/> of every other rank
    /// (e.g. rank 0's initial weights or seed). Every rank passes a buffer of the same length.
    /// </summary>
    /// <typeparam name="T">An unmanaged element type; its bytes are copied as they are.</typeparam>
    /// <param name="buffer">The root's elements; receives them on the other ranks.</param>
    /// <param name="root">The rank whose elements are sent, in <c>[0, Size)</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is not a rank.</exception>
    /// <exception cref="ArgumentException">The buffer exceeds 2 GiB.</exception>
    /// <exception cref="CommunicatorException">A rank failed, left, did not answer within <see cref="Timeout"/>, or called another collective.</exception>
    /// <exception cref="ObjectDisposedException">The communicator was disposed.</exception>
    public void Broadcast<T>(Span<T> buffer, int root)
        where T : unmanaged
    {
        if (root < 0 || root >= Size)
        {
            throw new ArgumentOutOfRangeException(nameof(root), string.Create(CultureInfo.InvariantCulture, $"Rank {Rank} of {Size}: the broadcast's root {root} is not a rank; ranks are 0 to {Size - 1}."));
        }

        long bytes = (long)buffer.Length * Unsafe.SizeOf<T>();
        if (bytes > int.MaxValue)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Rank {Rank} of {Size}: the broadcast of {bytes:N0} bytes exceeds 2 GiB; split it into several."), nameof(buffer));
        }

        Span<byte> bytesSpan = MemoryMarshal.AsBytes(buffer);
        Run("broadcast", bytes, bytesSpan, bytesSpan, [root],
            static (self, name, send, receive, roots) => self.BroadcastCore(receive, roots[0], name));
    }

    /// <summary>Waits until every rank has called it.</summary>
    /// <exception cref="CommunicatorException">A rank failed, left, did not answer within <see cref="Timeout"/>, or called another collective.</exception>
    /// <exception cref="ObjectDisposedException">The communicator was disposed.</exception>
    public void Barrier() =>
        Run("barrier", 0, default, default, [],
            static (self, name, send, receive, none) => self.BarrierCore(name));

    /// <summary>
    /// Tells every other rank that this one is failing, so that their current or next collective throws a
    /// <see cref="CommunicatorException"/> naming this rank and <paramref name="reason"/> instead of waiting for the
    /// <see cref="Timeout"/>; then marks this communicator failed. Call it when an error other than a
    /// <see cref="CommunicatorException"/> ends this rank's part of a run (a data read error, an out-of-memory), then end the process.
    /// It waits at most a few seconds for the other ranks to take the notice. Does nothing on a communicator that has already failed.
    /// </summary>
    /// <param name="reason">What went wrong on this rank, e.g. the exception's message; the first 200 characters are sent.</param>
    /// <exception cref="ObjectDisposedException">The communicator was disposed.</exception>
    public void Fail(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_failure is not null)
            {
                return;
            }

            string shortReason = reason.Length > 200 ? reason[..200] : reason;
            string collective = string.Create(CultureInfo.InvariantCulture, $"after collective #{_sequence}");
            _failure = new CommunicatorException(
                string.Create(CultureInfo.InvariantCulture, $"Rank {Rank} of {Size} failed and told the other ranks: {shortReason}"),
                Rank, collective, [Rank]);
            NotifyFailure(shortReason);
        }
    }

    /// <summary>
    /// Releases the communicator. Call it on every rank after the last collective; an <see cref="MpiCommunicator"/> then
    /// finalises MPI (or, after a failure, leaves MPI as it is rather than wait for a rank that is gone).
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            DisposeCore(_failure is not null);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A description of this rank for logs, e.g. "rank 1 of 3".</summary>
    /// <returns>The description.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"rank {Rank} of {Size}");

    /// <summary>Throws unless <paramref name="timeout"/> is positive and at most a day.</summary>
    internal static void CheckTimeout(TimeSpan timeout, string name)
    {
        if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(name, string.Create(CultureInfo.InvariantCulture, $"The collective timeout is {timeout}; it must be positive and at most a day (default {DefaultTimeout.TotalSeconds:N0} s)."));
        }
    }

    /// <summary>Gathers <paramref name="send"/> of every rank into <paramref name="receive"/> by rank, <paramref name="byteCounts"/> bytes each.</summary>
    private protected abstract void AllGatherCore(ReadOnlySpan<byte> send, Span<byte> receive, int[] byteCounts, string collective);

    /// <summary>Copies <paramref name="buffer"/> of <paramref name="root"/> to every rank.</summary>
    private protected abstract void BroadcastCore(Span<byte> buffer, int root, string collective);

    /// <summary>Waits for every rank.</summary>
    private protected abstract void BarrierCore(string collective);

    /// <summary>Sends the other ranks a notice that this rank failed with <paramref name="reason"/>, and waits briefly for them to take it.</summary>
    private protected abstract void NotifyFailure(string reason);

    /// <summary>Releases the transport; <paramref name="failed"/> says whether a collective failed or this rank called <see cref="Fail"/>.</summary>
    private protected abstract void DisposeCore(bool failed);

    /// <summary>Marks the communicator failed with <paramref name="failure"/>, as if a collective had thrown it.</summary>
    private protected void MarkFailed(CommunicatorException failure)
    {
        lock (_gate)
        {
            _failure ??= failure;
        }
    }

    private void GatherEqual<T>(string kind, ReadOnlySpan<T> local, Span<T> gathered)
        where T : unmanaged
    {
        int[] counts = new int[Size];
        Array.Fill(counts, local.Length);
        Gather(kind, local, gathered, counts);
    }

    private static void CheckOperation(ReduceOperation operation)
    {
        if (operation is not (ReduceOperation.Sum or ReduceOperation.Max or ReduceOperation.Min))
        {
            throw new ArgumentOutOfRangeException(nameof(operation), operation, "The reduction is Sum, Max or Min.");
        }
    }

    private delegate void CoreCall(Communicator self, string collective, ReadOnlySpan<byte> send, Span<byte> receive, int[] arguments);

    private void Run(string kind, long bytes, ReadOnlySpan<byte> send, Span<byte> receive, int[] arguments, CoreCall call)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            long sequence = ++_sequence;
            string collective = string.Create(CultureInfo.InvariantCulture, $"{kind} #{sequence} ({bytes:N0} bytes from this rank)");
            if (_failure is { } earlier)
            {
                throw new CommunicatorException(
                    string.Create(CultureInfo.InvariantCulture, $"Rank {Rank} of {Size} cannot run the {collective}: this communicator failed earlier. {earlier.Message}"),
                    Rank, collective, earlier.FailedRanks, earlier);
            }

            long started = Stopwatch.GetTimestamp();
            try
            {
                call(this, collective, send, receive, arguments);
            }
            catch (CommunicatorException failure)
            {
                _failure ??= failure;
                throw;
            }
            finally
            {
                Interlocked.Add(ref _collectiveTicks, Stopwatch.GetTimestamp() - started);
            }
        }
    }

    /// <inheritdoc/>
    Span<float> IShardCommunicator.StageAllGather(ReadOnlySpan<int> counts)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is { } earlier)
        {
            throw new CommunicatorException(
                string.Create(CultureInfo.InvariantCulture, $"Rank {Rank} of {Size} cannot stage an all-gather: this communicator failed earlier. {earlier.Message}"),
                Rank, "all-gather", earlier.FailedRanks, earlier);
        }

        int[] byteCounts = ByteCounts(counts, sizeof(float), out long total);
        int ownOffset = 0;
        for (int r = 0; r < Rank; r++)
        {
            ownOffset += byteCounts[r];
        }

        _stagedByteCounts = byteCounts;
        _stagedSendBytes = byteCounts[Rank];
        _stagedTotalBytes = (int)total;
        return MemoryMarshal.Cast<byte, float>(StageCore(_stagedSendBytes, _stagedTotalBytes, ownOffset));
    }

    /// <inheritdoc/>
    ReadOnlySpan<float> IShardCommunicator.AllGatherStaged()
    {
        int[] byteCounts = _stagedByteCounts ?? throw new InvalidOperationException("AllGatherStaged runs the all-gather StageAllGather prepared; none is prepared.");
        _stagedByteCounts = null;
        Run("all-gather", _stagedSendBytes, default, default, byteCounts,
            static (self, name, _, _, counts) => self.AllGatherStagedCore(counts, name));
        return MemoryMarshal.Cast<byte, float>(StagedReceive(_stagedTotalBytes));
    }

    /// <summary>
    /// Gives the memory this rank writes its part of a staged all-gather into (<paramref name="sendBytes"/>, at
    /// <paramref name="ownOffset"/> of the <paramref name="totalBytes"/> gathered). Here: managed buffers, gathered by
    /// <see cref="AllGatherCore"/>; a communicator with memory of its own overrides the three staging methods to send from it in place.
    /// </summary>
    private protected virtual Span<byte> StageCore(int sendBytes, int totalBytes, int ownOffset)
    {
        if (_stagedSend.Length * sizeof(float) < sendBytes)
        {
            _stagedSend = new float[sendBytes / sizeof(float)];
        }

        if (_stagedReceive.Length * sizeof(float) < totalBytes)
        {
            _stagedReceive = new float[totalBytes / sizeof(float)];
        }

        return MemoryMarshal.AsBytes(_stagedSend.AsSpan(0, sendBytes / sizeof(float)));
    }

    /// <summary>Runs the staged all-gather (inside <see cref="Run"/>: counted, timed, failures kept).</summary>
    private protected virtual void AllGatherStagedCore(int[] byteCounts, string collective) =>
        AllGatherCore(
            MemoryMarshal.AsBytes(_stagedSend.AsSpan(0, _stagedSendBytes / sizeof(float))),
            MemoryMarshal.AsBytes(_stagedReceive.AsSpan(0, _stagedTotalBytes / sizeof(float))),
            byteCounts,
            collective);

    /// <summary>The gathered bytes of the last staged all-gather.</summary>
    private protected virtual ReadOnlySpan<byte> StagedReceive(int totalBytes) => MemoryMarshal.AsBytes(_stagedReceive.AsSpan(0, totalBytes / sizeof(float)));

    /// <inheritdoc/>
    void IShardCommunicator.AllGather(ReadOnlySpan<double> values, Span<double> gathered, ReadOnlySpan<int> counts) => AllGather(values, gathered, counts);

    /// <inheritdoc/>
    void IShardCommunicator.AllGather(ReadOnlySpan<float> values, Span<float> gathered, ReadOnlySpan<int> counts) => AllGather(values, gathered, counts);
}
