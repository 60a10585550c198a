// Issue #9's MLP epoch, engine and TorchSharp side by side in one process, so that their ratio is measured under
// the same machine load. From the repository root:
//   dotnet run -c Release --project benchmarks/GdTrainer.TorchSharpAnchor -- [--hidden 64,256] [--epochs 5] [--threads 1,2] [--engine-threads 1,2]
// For each width: the engine (for each engine thread count of its data-parallel step, the trainer's NumberOfThreads) and
// TorchSharp (for each thread count) train their own model from scratch for the given epochs, alternating epoch by epoch; each
// epoch is timed with a Stopwatch.
// Prints each epoch, the median of epochs 2.. (epoch 1 includes JIT compilation and first touches) and the
// held-out RMSE after the last epoch (200,000 rows of an independent seed).
using System.Diagnostics;
using System.Globalization;
using GdTrainer.Benchmarks.MlpEpoch;
using GdTrainer.TorchSharpAnchor;

int[] hidden = [64, 256];
int epochs = 5;
int[] threads = [1, 2];
int[] engineThreads = [1, 2];
int rows = 1_000_000;
for (int i = 0; i < args.Length; i++)
{
    int[] List() => [.. args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
    switch (args[i])
    {
        case "--hidden": hidden = List(); break;
        case "--epochs": epochs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--threads": threads = List(); break;
        case "--engine-threads": engineThreads = List(); break;
        case "--rows": rows = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: throw new ArgumentException($"Unknown option '{args[i]}'.");
    }
}

Console.WriteLine($"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, libtorch CPU; {Environment.ProcessorCount} logical CPUs; .NET {Environment.Version}");
var watch = Stopwatch.StartNew();
NonlinearRegressionData train = NonlinearRegressionData.Generate(rows, 42);
NonlinearRegressionData test = NonlinearRegressionData.Generate(200_000, 43);
Console.WriteLine($"data: {rows:N0} train + 200,000 test rows in {watch.ElapsedMilliseconds} ms");

foreach (int h in hidden)
{
    var runs = new List<(string Name, Func<double> Epoch, Func<double> Rmse, Action Before, List<double> Times)>();
    var engines = new List<EngineMlpEpoch>();
    foreach (int t in engineThreads)
    {
        var engine = new EngineMlpEpoch(train, h, threads: t);
        engines.Add(engine);
        runs.Add(($"GdTrainer, {t} thread(s)", engine.RunEpoch, () => engine.Rmse(test), () => { }, []));
    }

    foreach (int t in threads)
    {
        var torchRun = new TorchSharpMlpEpoch(train, h);
        runs.Add(($"TorchSharp, {t} thread(s)", torchRun.RunEpoch, () => torchRun.Rmse(test), () => TorchSharp.torch.set_num_threads(t), []));
    }

    for (int epoch = 1; epoch <= epochs; epoch++)
    {
        foreach (var run in runs)
        {
            run.Before();
            long start = Stopwatch.GetTimestamp();
            double loss = run.Epoch();
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            run.Times.Add(ms);
            Console.WriteLine($"[{h}, {h}] {run.Name,-26} epoch {epoch}: {ms,9:F1} ms  mean batch loss {loss:F5}");
        }
    }

    Console.WriteLine();
    Console.WriteLine($"| [{h}, {h}] | median epoch 2-{epochs} (ms) | min (ms) | held-out RMSE after {epochs} epochs |");
    Console.WriteLine("|---|---:|---:|---:|");
    foreach (var run in runs)
    {
        run.Before();
        double[] sorted = [.. run.Times.Skip(run.Times.Count > 1 ? 1 : 0).Order()];
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        Console.WriteLine($"| {run.Name} | {median:F1} | {sorted[0]:F1} | {run.Rmse():F4} |");
    }

    Console.WriteLine();
    foreach (EngineMlpEpoch engine in engines)
    {
        engine.Dispose();
    }
}
