// Runs the BenchmarkDotNet benchmarks of this assembly. Always in Release, from the repository root:
//   dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- --filter '*SeedLoop*'
// Without --filter, BenchmarkDotNet lists the benchmark classes and asks which to run;
// `-- --list flat` prints every benchmark's name. Results go to ./BenchmarkDotNet.Artifacts/results.
using BenchmarkDotNet.Running;

namespace GdTrainer.Benchmarks;

/// <summary>The entry point: hands the command line to BenchmarkDotNet's switcher.</summary>
public static class Program
{
    /// <summary>Runs the benchmarks selected by <paramref name="args"/> (BenchmarkDotNet's options, e.g. <c>--filter</c>).</summary>
    /// <param name="args">BenchmarkDotNet command-line arguments.</param>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
