namespace GdTrainer.MpiChecks;

using System.Diagnostics;
using System.Runtime.InteropServices;
using GdTrainer.Training;

/// <summary>One rank stops, fails or dies after a first collective; the others must name it (or the launcher must).</summary>
internal static partial class FailureChecks
{
    private const int SignalKill = 9;
    private const int SignalStop = 19;

    internal static int Run(MpiCommunicator c, string command, int victim)
    {
        if (c.Rank == victim)
        {
            c.Barrier();
            Console.Out.WriteLine($"rank {c.Rank}: {command} now, pid {Environment.ProcessId}");
            Console.Out.Flush();
            switch (command)
            {
                case "stop-rank":
                    Kill(Environment.ProcessId, SignalStop);
                    break;
                case "kill-rank":
                    Kill(Environment.ProcessId, SignalKill);
                    break;
                default:
                    c.Fail("a simulated read error on this rank's shard");
                    Console.Out.WriteLine($"rank {c.Rank}: told the others it failed");
                    Console.Out.Flush();
                    c.Abort(3);
                    break;
            }

            Thread.Sleep(Timeout.Infinite);
        }

        var clock = Stopwatch.StartNew();
        try
        {
            // The barrier is inside: the victim may leave it and fail before this rank has seen it complete.
            c.Barrier();
            clock.Restart();
            c.AllReduce(1.0, ReduceOperation.Sum);
            Console.Out.WriteLine($"rank {c.Rank}: the all-reduce completed without rank {victim}: FAILED");
            return 1;
        }
        catch (CommunicatorException error)
        {
            bool named = error.FailedRanks.Contains(victim) && error.Message.Contains($"rank {victim}", StringComparison.Ordinal);
            // The verdict on a short line of its own (mpiexec interleaves long lines of several ranks), then the message.
            Console.Out.WriteLine($"rank {c.Rank}: {(named ? "named" : "did NOT name")} rank {victim} after {clock.Elapsed.TotalSeconds:0.0} s");
            Console.Out.Flush();
            Console.Out.WriteLine($"rank {c.Rank}: {error.Message}");
            Console.Out.Flush();
            c.Abort(named ? 3 : 1);
            return 1; // Abort does not return.
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
