namespace GdTrainer.Training;

using System.Diagnostics;
using System.Runtime.ExceptionServices;

/// <summary>
/// The threads of one training run's data-parallel step: the calling thread and <c>threads - 1</c> helpers, which claim the parts
/// of a job (the micro-shards of a batch, the ranges of a gradient sum) with an atomic counter until none is left; the caller
/// then waits for the parts others claimed. Which thread runs which part never matters to the result (each part writes its own
/// memory), so a helper that is late (descheduled on a busy machine) costs nothing but its own parts, which the caller runs.
/// </summary>
/// <remarks>
/// A training step publishes a job every 5 µs to 1 ms, so a helper spins for <see cref="SpinTicks"/> after a job, long enough to
/// cover the serial part of a step (the optimizer's update, the scheduler), and then sleeps on a semaphore: an idle run burns no
/// CPU, and a handoff costs a cache line rather than a wake-up (~10-50 µs) while training runs. <see cref="Dispose"/> ends the
/// helpers. One caller at a time: the trainer that owns the pool.
/// </remarks>
internal sealed class ShardWorkers : IDisposable
{
    /// <summary>How long a helper polls for the next job before it sleeps: 200 µs in Stopwatch ticks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000;

    private const int Closed = int.MaxValue / 2;

    private readonly Helper[] _helpers;
    private IShardJob? _job;
    private int _parts;
    private int _remaining;
    private Exception?[] _failures = new Exception?[16];

    // The job's generation (high 32 bits) and its next unclaimed part (low 32 bits): a claim is a compare-exchange on both, so a
    // helper that read an older job never claims a part of a newer one. A finished job's next part is moved far past its end.
    private long _claim;
    private volatile bool _disposed;

    /// <param name="threads">The threads, the caller included (at least 2).</param>
    internal ShardWorkers(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 2);
        Threads = threads;
        _helpers = new Helper[threads - 1];
        for (int i = 0; i < _helpers.Length; i++)
        {
            _helpers[i] = new Helper(this, i + 1);
        }
    }

    /// <summary>The threads, the caller included.</summary>
    internal int Threads { get; }

    /// <summary>
    /// Runs parts <c>0 .. parts - 1</c> of <paramref name="job"/> on the caller and the helpers and returns when all are done; a
    /// part's exception is rethrown after every part has ended (the lowest part's, when several fail).
    /// </summary>
    internal void Run(IShardJob job, int parts)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (parts <= 1)
        {
            if (parts == 1)
            {
                job.RunPart(0);
            }

            return;
        }

        if (_failures.Length < parts)
        {
            _failures = new Exception?[parts];
        }

        _job = job;
        _parts = parts;
        Volatile.Write(ref _remaining, parts);
        long generation = (Volatile.Read(ref _claim) >> 32) + 1;
        Interlocked.Exchange(ref _claim, generation << 32); // Parts become claimable only now, after the job's fields are written.
        for (int i = 0; i < Math.Min(parts - 1, _helpers.Length); i++)
        {
            _helpers[i].Wake(); // Helper i + 1 takes part in jobs of more than i + 1 parts; the others may sleep.
        }

        RunParts(job, parts, generation);
        SpinWait spinner = default;
        while (Volatile.Read(ref _remaining) != 0)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        Interlocked.Exchange(ref _claim, (generation << 32) | Closed);
        _job = null;
        for (int part = 0; part < parts; part++)
        {
            if (_failures[part] is { } failure)
            {
                Array.Clear(_failures, 0, parts);
                ExceptionDispatchInfo.Capture(failure).Throw();
            }
        }
    }

    /// <summary>Ends the helper threads (they finish the job they are in; none is running when the owner disposes).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (Helper helper in _helpers)
        {
            helper.Stop();
        }
    }

    /// <summary>Claims and runs parts of the job of <paramref name="generation"/> until none is left (or the job is another's).</summary>
    private void RunParts(IShardJob job, int parts, long generation)
    {
        while (true)
        {
            long claim = Volatile.Read(ref _claim);
            int part = (int)claim;
            if ((claim >> 32) != generation || part >= parts)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _claim, claim + 1, claim) != claim)
            {
                continue;
            }

            try
            {
                job.RunPart(part);
            }
            catch (Exception exception)
            {
                _failures[part] = exception;
            }
            finally
            {
                Interlocked.Decrement(ref _remaining);
            }
        }
    }

    /// <summary>
    /// One helper thread: polls for a new job generation and runs parts of it when the job has more parts than its index (a job
    /// of 2 parts needs one helper, not fifteen), and sleeps when no job it takes part in came for <see cref="SpinTicks"/>.
    /// </summary>
    private sealed class Helper
    {
        private readonly ShardWorkers _owner;
        private readonly int _index;
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;

        internal Helper(ShardWorkers owner, int index)
        {
            _owner = owner;
            _index = index;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"GdTrainer shard worker {index}" };
            thread.Start();
        }

        /// <summary>Wakes the helper if it sleeps (called after a job is published).</summary>
        internal void Wake()
        {
            if (Volatile.Read(ref _sleeping) == 1 && Interlocked.CompareExchange(ref _sleeping, 0, 1) == 1)
            {
                _wake.Release();
            }
        }

        /// <summary>Makes the helper leave its loop (waking it if it sleeps).</summary>
        internal void Stop()
        {
            Interlocked.Exchange(ref _sleeping, 0);
            _wake.Release();
        }

        private void Loop()
        {
            ShardWorkers owner = _owner;
            long seen = Volatile.Read(ref owner._claim) >> 32;
            long idleSince = Stopwatch.GetTimestamp();
            while (!owner._disposed)
            {
                long current = Volatile.Read(ref owner._claim) >> 32;
                if (current != seen)
                {
                    seen = current;
                    IShardJob? job = Volatile.Read(ref owner._job); // Of generation `seen` or later; a later one's claims fail.
                    int parts = Volatile.Read(ref owner._parts);
                    if (job is not null && _index < parts)
                    {
                        owner.RunParts(job, parts, seen);
                        idleSince = Stopwatch.GetTimestamp();
                    }

                    continue;
                }

                if (Stopwatch.GetTimestamp() - idleSince < SpinTicks)
                {
                    Thread.SpinWait(16);
                    continue;
                }

                // Announce the sleep, then look once more: a job published in between either is seen here, or its publisher
                // saw _sleeping == 1 and released the semaphore (then the wait below returns at once).
                Interlocked.Exchange(ref _sleeping, 1);
                if ((Volatile.Read(ref owner._claim) >> 32) != seen && Interlocked.CompareExchange(ref _sleeping, 0, 1) == 1)
                {
                    continue;
                }

                _wake.Wait();
                idleSince = Stopwatch.GetTimestamp();
            }
        }
    }
}
