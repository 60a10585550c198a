using System.Diagnostics;
using System.Globalization;

namespace GdTrainer.Benchmarks.MlpEpoch;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- mlp-epoch [--hidden 64,256] [--epochs 5] [--rows 1000000] [--threads 1] [--unsharded] [--phases]</c>:
/// trains <c>Mlp(20, [h, h], 1)</c> for a few epochs on the 1M x 20 nonlinear set with a Stopwatch around each
/// epoch, then prints the held-out RMSE (200,000 rows of an independent seed). <c>--threads</c> is the trainer's
/// <c>NumberOfThreads</c> (the data-parallel step: each batch of 256 is two shards of 128 rows, the same bits for any value);
/// <c>--unsharded</c> keeps each batch one shard (the step before sharding, to see what sharding costs one thread). With <c>--phases</c> the epochs
/// run the plain single-threaded loop and time each phase of its step. A plain program rather than BenchmarkDotNet: one epoch takes
/// seconds and the data 1-2 s to generate, so a few Stopwatch epochs in one warm process say as much, in far less machine time
/// (see <see cref="MlpEpochBenchmarks"/> for the BenchmarkDotNet form).
/// </summary>
public static class MlpEpochCommand
{
    /// <summary>Runs the command with the arguments after <c>mlp-epoch</c>.</summary>
    public static void Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        int[] hidden = [64, 256];
        int epochs = 5;
        int rows = 1_000_000;
        bool phases = false;
        bool unsharded = false;
        int threads = 1;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--hidden":
                    hidden = [.. args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
                    break;
                case "--epochs":
                    epochs = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--rows":
                    rows = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--threads":
                    threads = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--unsharded":
                    unsharded = true;
                    break;
                case "--phases":
                    phases = true;
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{args[i]}'; use --hidden 64,256 --epochs 5 --rows 1000000 --threads 1 --unsharded --phases.");
            }
        }

        var watch = Stopwatch.StartNew();
        NonlinearRegressionData train = NonlinearRegressionData.Generate(rows, 42);
        NonlinearRegressionData test = NonlinearRegressionData.Generate(200_000, 43);
        Console.WriteLine($"data: {rows:N0} train + 200,000 test rows generated in {watch.ElapsedMilliseconds} ms; {Environment.ProcessorCount} logical CPUs, " +
            $"data-parallel threads {threads}{(unsharded ? " (one shard a batch)" : string.Empty)}");
        foreach (int h in hidden)
        {
            using var run = new EngineMlpEpoch(train, h, threads: threads, unsharded: unsharded);
            var times = new List<double>();
            var cpuTimes = new List<double>();
            var ticks = new long[6];
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                long start = Stopwatch.GetTimestamp();
                TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
                double loss;
                if (phases)
                {
                    if (epoch == 2)
                    {
                        Array.Clear(ticks); // Epoch 1 includes JIT compilation: the breakdown is of epochs 2 on.
                    }

                    run.RunEpochTimed(ticks);
                    loss = double.NaN;
                }
                else
                {
                    loss = run.RunEpoch();
                }

                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalMilliseconds;
                times.Add(ms);
                cpuTimes.Add(cpu);
                Console.WriteLine($"[{h}, {h}] epoch {epoch}: {ms,8:F1} ms wall, {cpu,8:F1} ms process CPU  mean batch loss {loss:F5}");
            }

            double[] sorted = [.. times.Skip(1).Order()];
            double[] sortedCpu = [.. cpuTimes.Skip(1).Order()];
            Console.WriteLine($"[{h}, {h}] epochs 2-{epochs}: median {Median(sorted):F1} ms, min {(sorted.Length > 0 ? sorted[0] : times[0]):F1} ms wall; " +
                $"median {Median(sortedCpu):F1} ms process CPU; " +
                $"held-out RMSE after {epochs} epochs {run.Rmse(test):F4}");
            if (phases)
            {
                string[] names = ["zero-grad", "forward", "loss", "backward", "adam step", "scope+rest"];
                double perStep = 1e6 / Stopwatch.Frequency / (Math.Max(1, epochs - 1) * run.StepsPerEpoch);
                Console.WriteLine("  per step, epochs 2 on (us): " + string.Join(", ", names.Select((name, i) => $"{name} {ticks[i] * perStep:F1}")));
            }
        }
    }

    private static double Median(double[] sorted) =>
        sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}
