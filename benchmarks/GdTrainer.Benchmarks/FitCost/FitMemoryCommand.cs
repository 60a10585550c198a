using System.Diagnostics;
using System.Globalization;
using GdTrainer.Benchmarks.Streaming;
using GdTrainer.MLNet;
using Microsoft.ML;

namespace GdTrainer.Benchmarks.FitCost;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- fit-memory [--rows 1000000,4000000] [--features 20]</c>:
/// issue 17's memory measurement. For each row count, three fresh processes of this program build the same cached
/// <c>IDataView</c> of linear rows, collect the garbage, reset the peak resident set (<c>/proc/self/clear_refs</c>), then Fit once:
/// the regression trainer with its defaults (<c>ours</c>), the same with <c>Streaming = true</c> (<c>ours-stream</c>), and ML.NET's
/// SDCA (<c>sdca</c>). Each prints the peak resident memory during the Fit above the process that only built the cache, as
/// mebibytes and as a multiple of the data's size (4 bytes per feature and label), and, for ours, the median epoch time at the
/// batch of 256.
/// </summary>
public static class FitMemoryCommand
{
    /// <summary>The options.</summary>
    public const string Usage = "fit-memory [--rows 1000000,4000000] [--features 20]    (one child: fit-memory child ours|ours-stream|sdca ROWS FEATURES)";

    /// <summary>Runs the measurement, or one child process of it.</summary>
    /// <exception cref="ArgumentException">An option is unknown or out of range.</exception>
    public static void Run(string[] args)
    {
        if (args.Length == 4 && args[0] == "child")
        {
            RunChild(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
            return;
        }

        int[] rowCounts = [1_000_000, 4_000_000];
        int features = 20;
        for (int i = 0; i < args.Length; i += 2)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value. Usage: {Usage}");
            switch (args[i])
            {
                case "--rows":
                    rowCounts = [.. value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))];
                    break;
                case "--features":
                    features = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{args[i]}'. Usage: {Usage}");
            }
        }

        var summary = new List<string>();
        foreach (int rows in rowCounts)
        {
            foreach (string trainer in (string[])["ours", "ours-stream", "sdca"])
            {
                summary.AddRange(ChildProcess.Run(["fit-memory", "child", trainer, rows.ToString(CultureInfo.InvariantCulture), features.ToString(CultureInfo.InvariantCulture)]));
            }
        }

        Console.WriteLine("fit-memory summary:");
        summary.ForEach(line => Console.WriteLine("  " + line["RESULT ".Length..]));
    }

    /// <summary>One fresh process: the cached rows, then one Fit of <paramref name="trainer"/> with its peak memory.</summary>
    private static void RunChild(string trainer, int rows, int features)
    {
        if (trainer is not ("ours" or "ours-stream" or "sdca"))
        {
            throw new ArgumentException($"The trainer '{trainer}' is unknown: use ours, ours-stream or sdca.");
        }

        var mlContext = new MLContext(seed: 1);
        IDataView cached = FitCostRow.Cache(mlContext, Rows(rows, features), features);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        File.WriteAllText("/proc/self/clear_refs", "5"); // Resets VmHWM to the current resident set (Linux).
        long before = ProcessMemory.ResidentBytes() ?? throw new PlatformNotSupportedException("fit-memory reads /proc/self/status (Linux).");
        long started = Stopwatch.GetTimestamp();
        string epochs = "";
        if (trainer == "sdca")
        {
            mlContext.Regression.Trainers.Sdca().Fit(cached);
        }
        else
        {
            var model = mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options { Streaming = trainer == "ours-stream" }).Fit(cached);
            var history = model.Model.History.Epochs;
            var at256 = new List<double>();
            for (int e = 0; e < history.Count; e++)
            {
                if (history[e].BatchSize == 256)
                {
                    at256.Add((history[e].Elapsed - (e == 0 ? TimeSpan.Zero : history[e - 1].Elapsed)).TotalMilliseconds);
                }
            }

            at256.Sort();
            epochs = string.Create(CultureInfo.InvariantCulture, $"; {history.Count} epochs, median epoch at batch 256 {(at256.Count > 0 ? at256[at256.Count / 2] : double.NaN):F1} ms");
        }

        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        long peak = ProcessMemory.PeakResidentBytes() ?? 0;
        double dataMebibytes = (double)rows * (features + 1) * 4 / (1 << 20);
        double aboveMebibytes = (peak - before) / (double)(1 << 20);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT {trainer} {rows}x{features}: data {dataMebibytes:F0} MiB; resident before the Fit {before / (double)(1 << 20):F0} MiB; peak during the Fit +{aboveMebibytes:F0} MiB = +{aboveMebibytes / dataMebibytes:F2}x the data; Fit {seconds:F2} s{epochs}"));
    }

    /// <summary>Uniform features in [-1, 1) and a label linear in them plus a little noise (weights drawn from seed 5, rows from 9).</summary>
    private static IEnumerable<FitCostRow> Rows(int rows, int features)
    {
        var weights = new Random(5);
        var w = new double[features];
        for (int j = 0; j < features; j++)
        {
            w[j] = (weights.NextDouble() * 2) - 1;
        }

        var random = new Random(9);
        for (int i = 0; i < rows; i++)
        {
            var x = new float[features];
            double y = 0.5;
            for (int j = 0; j < features; j++)
            {
                x[j] = (float)((random.NextDouble() * 2) - 1);
                y += w[j] * x[j];
            }

            yield return new FitCostRow { Features = x, Label = (float)(y + (0.1 * (random.NextDouble() - 0.5))) };
        }
    }
}
