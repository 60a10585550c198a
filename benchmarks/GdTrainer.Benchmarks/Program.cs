// Runs the BenchmarkDotNet benchmarks of this assembly. Always in Release, from the repository root:
//   dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- --filter '*SeedLoop*'
// Without --filter, BenchmarkDotNet lists the benchmark classes and asks which to run;
// `-- --list flat` prints every benchmark's name. Results go to ./BenchmarkDotNet.Artifacts/results.
// `-- mlp-epoch [--hidden 64,256] [--epochs 5] [--phases]` runs issue #9's MLP epoch timing instead (MlpEpoch/MlpEpochCommand.cs).
// `-- streaming all [--rows 8000000] [--dir DIR]` runs issue 20's streamed-training measurement (Streaming/StreamingCommand.cs).
// `-- first-fit [--processes 5]` times the first Fit of fresh processes against warm ones (FitCost/FirstFitCommand.cs);
// `-- fit-memory [--rows 1000000,4000000]` measures a Fit's peak memory above the cached data (FitCost/FitMemoryCommand.cs).
using BenchmarkDotNet.Running;

namespace GdTrainer.Benchmarks;

/// <summary>The entry point: hands the command line to BenchmarkDotNet's switcher.</summary>
public static class Program
{
    /// <summary>Runs the benchmarks selected by <paramref name="args"/> (BenchmarkDotNet's options, e.g. <c>--filter</c>), or the <c>mlp-epoch</c>, <c>mlp-kernels</c>, <c>streaming</c>, <c>first-fit</c> or <c>fit-memory</c> command.</summary>
    /// <param name="args">BenchmarkDotNet command-line arguments.</param>
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "mlp-epoch")
        {
            MlpEpoch.MlpEpochCommand.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "streaming")
        {
            Streaming.StreamingCommand.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "first-fit")
        {
            FitCost.FirstFitCommand.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "fit-memory")
        {
            FitCost.FitMemoryCommand.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "mlp-kernels")
        {
            MlpEpoch.StepKernelTimings.Run(args[1..]);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
