namespace GdTrainer.MpiChecks;

using System.Globalization;
using GdTrainer.Training;

/// <summary>
/// Checks of <see cref="MpiCommunicator"/> under a real <c>mpiexec</c>, each rank printing one verdict line that .ci/run reads:
/// <list type="bullet">
/// <item><c>collectives</c>: all-gathers, all-reduces, broadcasts and barriers of known values; every rank checks the bits
/// and that every other rank got the same ("rank R: collectives ok").</item>
/// <item><c>stop-rank R</c>: rank R stops itself (SIGSTOP: alive, silent); every other rank must throw a
/// <see cref="CommunicatorException"/> naming R within 60 s under the default timeout ("rank X: named rank R after S s"),
/// then the job is aborted.</item>
/// <item><c>fail-rank R</c>: rank R calls <see cref="Communicator.Fail(string)"/>; the others must name it at once.</item>
/// <item><c>kill-rank R</c>: rank R kills itself (SIGKILL); MPICH's mpiexec ends the job and names R's pid, which R printed.</item>
/// </list>
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0 || (args[0] != "collectives" && args.Length < 2))
        {
            Console.Error.WriteLine("usage: mpiexec -n N dotnet GdTrainer.MpiChecks.dll collectives | stop-rank R | fail-rank R | kill-rank R");
            return 2;
        }

        using MpiCommunicator communicator = MpiCommunicator.FromEnvironment();
        Console.Out.WriteLine($"{communicator} started, {communicator.Library}");
        Console.Out.Flush();
        return args[0] switch
        {
            "collectives" => CollectiveChecks.Run(communicator),
            "stop-rank" or "fail-rank" or "kill-rank" => FailureChecks.Run(communicator, args[0], int.Parse(args[1], CultureInfo.InvariantCulture)),
            _ => Usage(args[0]),
        };
    }

    private static int Usage(string command)
    {
        Console.Error.WriteLine($"unknown command '{command}'");
        return 2;
    }
}
