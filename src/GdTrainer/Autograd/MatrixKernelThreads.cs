using System.Diagnostics;

namespace GdTrainer.Autograd;

/// <summary>
/// The helper threads that let one matrix product use more than one core (<see cref="Autograd.IntraOpThreads"/>).
/// A caller publishes a job of <c>parts</c> independent parts; the caller and the helpers claim parts with an
/// atomic counter until none is left, then the caller waits for the parts others claimed. A helper that is late
/// (descheduled on a busy machine) therefore costs nothing: the caller simply runs the unclaimed parts itself.
/// Helpers spin for a short while after a job (products of a training step come every few microseconds) and then
/// sleep on a semaphore, so an idle process burns no CPU.
/// <para>Measured gain: none yet on the shared 2-core CI machine class, whose second core was never free while this
/// was measured (load average 40-90, 2026-12-02): the kernels of one 20-64-64-1 step summed to 112 us with 2 threads
/// against 122 us with 1 (wall-clock minima, within the noise), and whole epochs were slower with 2 threads (median 5.2 s against
/// 2.6 s with the helper competing for the one busy core). That is why <see cref="Autograd.IntraOpThreads"/>
/// defaults to 1; it needs measuring on an idle machine before anything relies on it.</para>
/// </summary>
internal static class MatrixKernelThreads
{
    /// <summary>How long a helper keeps polling for the next job before it sleeps: 200 us in Stopwatch ticks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000;

    private static readonly object s_startLock = new();
    private static Helper[] s_helpers = [];
    private static int s_threads = 1;

    // Only one caller at a time uses the helpers; others run their products alone.
    private static int s_busy;

    // The current job: published by a caller holding s_busy, read by the helpers after they see a new generation.
    // s_claim holds the job's generation (high 32 bits) and the next unclaimed part (low 32 bits): a claim is a
    // compare-exchange on both, so a helper that read an older job can never claim a part of a newer one. When a
    // job is complete its caller moves the next part far past the end, before any field of the next job is written.
    private static IParallelJob? s_job;
    private static int s_parts;
    private static int s_remaining;
    private static long s_claim;
    private const int Closed = int.MaxValue / 2;

    /// <summary>The configured thread count, caller included (<see cref="Autograd.IntraOpThreads"/>; validated there).</summary>
    internal static int Threads
    {
        get => Volatile.Read(ref s_threads);
        set => Volatile.Write(ref s_threads, value);
    }

    /// <summary>
    /// Runs <paramref name="job"/>'s parts <c>0 .. parts-1</c> on the caller and the helpers, and returns when all are done.
    /// Returns false without running anything when the helpers are in use by another thread or there is only one thread.
    /// </summary>
    internal static bool TryRun(IParallelJob job, int parts)
    {
        if (parts < 2 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            EnsureHelpers(parts - 1);
            s_job = job;
            s_parts = parts;
            Volatile.Write(ref s_remaining, parts);
            long generation = (Volatile.Read(ref s_claim) >> 32) + 1;
            Interlocked.Exchange(ref s_claim, generation << 32); // Parts become claimable only now, after the job's fields are written.
            foreach (Helper helper in s_helpers)
            {
                helper.Wake();
            }

            RunParts(job, parts, generation);
            SpinWait spinner = default;
            while (Volatile.Read(ref s_remaining) != 0)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            Interlocked.Exchange(ref s_claim, (generation << 32) | Closed);
            s_job = null;
            return true;
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>Claims and runs parts of the job of <paramref name="generation"/> until none is left (or the job is another's).</summary>
    private static void RunParts(IParallelJob job, int parts, long generation)
    {
        while (true)
        {
            long claim = Volatile.Read(ref s_claim);
            int part = (int)claim;
            if ((claim >> 32) != generation || part >= parts)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref s_claim, claim + 1, claim) == claim)
            {
                job.RunPart(part, parts);
                Interlocked.Decrement(ref s_remaining);
            }
        }
    }

    private static void EnsureHelpers(int count)
    {
        if (s_helpers.Length >= count)
        {
            return;
        }

        lock (s_startLock)
        {
            var helpers = new Helper[count];
            s_helpers.CopyTo(helpers, 0);
            for (int i = s_helpers.Length; i < count; i++)
            {
                helpers[i] = new Helper(i + 1);
            }

            s_helpers = helpers;
        }
    }

    /// <summary>One helper thread: polls for a new job generation, runs parts, and sleeps when no job came for <see cref="SpinTicks"/>.</summary>
    private sealed class Helper
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;

        internal Helper(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"GdTrainer matrix kernel helper {index}" };
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

        private void Loop()
        {
            long seen = Volatile.Read(ref s_claim) >> 32;
            while (true)
            {
                long idleSince = Stopwatch.GetTimestamp();
                while ((Volatile.Read(ref s_claim) >> 32) == seen)
                {
                    if (Stopwatch.GetTimestamp() - idleSince < SpinTicks)
                    {
                        Thread.SpinWait(16);
                        continue;
                    }

                    // Announce the sleep, then look once more: a job published in between either is seen here,
                    // or its publisher saw _sleeping == 1 and releases the semaphore.
                    Interlocked.Exchange(ref _sleeping, 1);
                    if ((Volatile.Read(ref s_claim) >> 32) != seen && Interlocked.CompareExchange(ref _sleeping, 0, 1) == 1)
                    {
                        break;
                    }

                    _wake.Wait();
                    idleSince = Stopwatch.GetTimestamp();
                }

                seen = Volatile.Read(ref s_claim) >> 32;
                IParallelJob? job = Volatile.Read(ref s_job); // Of generation `seen` or later; a later one's claims fail.
                int parts = Volatile.Read(ref s_parts);
                if (job is not null)
                {
                    RunParts(job, parts, seen);
                }
            }
        }
    }
}

/// <summary>A job whose parts can run on any thread in any order.</summary>
internal interface IParallelJob
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    void RunPart(int part, int parts);
}
