using System.Diagnostics;
using System.Globalization;
using GdTrainer.MLNet;
using GdTrainer.Training;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Benchmarks.Streaming;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- streaming all [--rows 8000000] [--dir DIR]</c>: issue 20's
/// measurement of training on rows streamed from a binary <c>IDataView</c> file. It writes the rows once (<see cref="LinearRows"/>,
/// <c>SaveAsBinary</c>, plus 200,000 test rows of another seed), then runs, each in a fresh process of this program: <c>open</c>
/// (opens the file and reads one row: the baseline peak resident memory), <c>fit --mode streaming</c> and <c>fit --mode memory</c>
/// (the regression trainer with its defaults, <c>Options.Streaming</c> true or false), each printing its peak resident memory
/// (<c>VmHWM</c> of <c>/proc/self/status</c>), its epoch times and the held-out RMSE; then a summary of the three. The steps run
/// alone too: <c>streaming write|open|fit ...</c> (see <see cref="Usage"/>). A plain program rather than BenchmarkDotNet: each
/// figure needs a process of its own, and an epoch over 8 million rows takes seconds.
/// </summary>
public static class StreamingCommand
{
    /// <summary>The options of every step.</summary>
    public const string Usage =
        "streaming all   [--rows 8000000] [--test-rows 200000] [--dir <temp>/gdtrainer-streaming] [--hidden 64,64] [--epochs N] [--batch-size 256]\n" +
        "streaming write [--rows 8000000] [--test-rows 200000] [--dir <temp>/gdtrainer-streaming]\n" +
        "streaming open  [--dir <temp>/gdtrainer-streaming]\n" +
        "streaming fit   --mode streaming|memory|budget [--budget BYTES] [--dir <temp>/gdtrainer-streaming] [--hidden 64,64] [--epochs N] [--batch-size 256]";

    private const string TrainFile = "train.idv";
    private const string TestFile = "test.idv";

    /// <summary>Runs the step named by the first argument after <c>streaming</c>.</summary>
    /// <param name="args">The step and its options.</param>
    public static void Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0)
        {
            throw new ArgumentException("Name a step.\n" + Usage);
        }

        Settings settings = Settings.Parse(args[1..]);
        switch (args[0])
        {
            case "write":
                Write(settings);
                break;
            case "open":
                Open(settings);
                break;
            case "fit":
                Fit(settings);
                break;
            case "all":
                All(settings, args[1..]);
                break;
            default:
                throw new ArgumentException($"Unknown step '{args[0]}'.\n" + Usage);
        }
    }

    /// <summary>Writes the training and test rows with <c>SaveAsBinary</c>, one row in memory at a time.</summary>
    private static void Write(Settings settings)
    {
        Directory.CreateDirectory(settings.Directory);
        var mlContext = new MLContext(seed: 0);
        foreach ((string file, long rows, ulong seed) in new[] { (TrainFile, settings.Rows, 42UL), (TestFile, settings.TestRows, 43UL) })
        {
            string path = Path.Combine(settings.Directory, file);
            var watch = Stopwatch.StartNew();
            using (FileStream stream = File.Create(path))
            {
                mlContext.Data.SaveAsBinary(mlContext.Data.LoadFromEnumerable(LinearRows.Generate(rows, seed)), stream);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {path}: {rows:N0} rows x {LinearRows.FeatureCount} features, {new FileInfo(path).Length / (double)(1 << 20):F1} MiB, {watch.Elapsed.TotalSeconds:F1} s"));
        }
    }

    /// <summary>Opens the training file and reads one row: the memory of a process that only opens the file.</summary>
    private static void Open(Settings settings)
    {
        var mlContext = new MLContext(seed: 0);
        IDataView train = mlContext.Data.LoadFromBinary(Path.Combine(settings.Directory, TrainFile));
        DataViewSchema.Column features = train.Schema["Features"];
        VBuffer<float> row = default;
        using (DataViewRowCursor cursor = train.GetRowCursor(train.Schema))
        {
            cursor.MoveNext();
            cursor.GetGetter<VBuffer<float>>(features)(ref row);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"open: {train.GetRowCount():N0} rows; read one row (first feature {row.GetValues()[0]:G4})"));
        Console.WriteLine($"peak RSS (VmHWM): {ProcessMemory.Format(ProcessMemory.PeakResidentBytes())}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT open peak_rss_mib={Mebibytes(ProcessMemory.PeakResidentBytes())}"));
    }

    /// <summary>Fits the regression trainer on the training file (streamed, in memory, or as the budget decides) and measures it.</summary>
    private static void Fit(Settings settings)
    {
        var mlContext = new MLContext(seed: 0);
        IDataView train = mlContext.Data.LoadFromBinary(Path.Combine(settings.Directory, TrainFile));
        var reports = new List<EpochReport>();
        var placement = new PlacementLogger();
        var options = new GradientDescentRegressionTrainer.Options
        {
            HiddenLayers = settings.Hidden,
            BatchSize = settings.BatchSize,
            Seed = 1,
            Logger = placement,
            Progress = new Recorder(reports),
        };
        switch (settings.Mode)
        {
            case "streaming":
                options.Streaming = true;
                break;
            case "memory":
                options.Streaming = false;
                break;
            case "budget":
                options.MemoryBudgetBytes = settings.Budget ?? throw new ArgumentException("--mode budget needs --budget BYTES.");
                break;
            default:
                throw new ArgumentException("fit needs --mode streaming, memory or budget.\n" + Usage);
        }

        if (settings.Epochs is { } epochs)
        {
            options.NumberOfEpochs = epochs;
            options.Patience = 0;
        }

        var watch = Stopwatch.StartNew();
        GradientDescentRegressionTransformer model = mlContext.Regression.Trainers.GradientDescent(options).Fit(train);
        double fitSeconds = watch.Elapsed.TotalSeconds;
        long? peak = ProcessMemory.PeakResidentBytes();
        long? resident = ProcessMemory.ResidentBytes();

        double[] epochMs = [.. reports.Select((report, i) => (report.Elapsed - (i == 0 ? TimeSpan.Zero : reports[i - 1].Elapsed)).TotalMilliseconds)];
        double beforeFirstEpoch = fitSeconds - reports[^1].Elapsed.TotalSeconds;
        IDataView test = mlContext.Data.LoadFromBinary(Path.Combine(settings.Directory, TestFile));
        double rmse = mlContext.Regression.Evaluate(model.Transform(test)).RootMeanSquaredError;
        double[] sorted = [.. epochMs.Order()];
        string modelName = settings.Hidden.Length == 0 ? "linear model" : $"MLP [{string.Join(", ", settings.Hidden)}]";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fit --mode {settings.Mode}: {train.GetRowCount():N0} rows x {LinearRows.FeatureCount} features, {modelName}, defaults otherwise (batch {settings.BatchSize})"));
        Console.WriteLine($"  {placement.Placement}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  Fit: {fitSeconds:F1} s wall, of which {beforeFirstEpoch:F1} s before the first epoch (the reading pass(es) and setup); {model.Model.EpochsRun} epochs, {model.Model.History}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  epochs: median {Median(sorted):F0} ms, min {sorted[0]:F0} ms, max {sorted[^1]:F0} ms; each: {string.Join(" ", epochMs.Select(ms => ms.ToString("F0", CultureInfo.InvariantCulture)))}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  held-out RMSE: {rmse:F5} on {test.GetRowCount():N0} test rows (the noise alone gives {LinearRows.NoiseStandardDeviation})"));
        Console.WriteLine($"  peak RSS (VmHWM): {ProcessMemory.Format(peak)}; RSS after Fit: {ProcessMemory.Format(resident)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT fit-{settings.Mode} peak_rss_mib={Mebibytes(peak)} fit_s={fitSeconds:F2} before_first_epoch_s={beforeFirstEpoch:F2} epochs={model.Model.EpochsRun} epoch_median_ms={Median(sorted):F0} rmse={rmse:F6}"));
    }

    /// <summary>Writes the files when they are missing, then runs open, the streamed fit and the in-memory fit in fresh processes.</summary>
    private static void All(Settings settings, string[] options)
    {
        if (!File.Exists(Path.Combine(settings.Directory, TrainFile)) || !File.Exists(Path.Combine(settings.Directory, TestFile)))
        {
            RunChild(["write", .. options]);
        }
        else
        {
            Console.WriteLine($"using the files in {Path.GetFullPath(settings.Directory)} (delete them to write new ones)");
        }

        string[] rowOptions = ["--dir", settings.Directory, "--batch-size", settings.BatchSize.ToString(CultureInfo.InvariantCulture)];
        string[] modelOptions = [.. rowOptions, .. settings.Hidden.Length > 0 ? ["--hidden", string.Join(',', settings.Hidden)] : Array.Empty<string>(),
            .. settings.Epochs is { } epochs ? ["--epochs", epochs.ToString(CultureInfo.InvariantCulture)] : Array.Empty<string>()];
        var results = new List<string>();
        results.AddRange(RunChild(["open", "--dir", settings.Directory]));
        results.AddRange(RunChild(["fit", "--mode", "streaming", .. modelOptions]));
        results.AddRange(RunChild(["fit", "--mode", "memory", .. modelOptions]));
        Console.WriteLine();
        Console.WriteLine("summary (each line from its own process):");
        foreach (string result in results)
        {
            Console.WriteLine("  " + result);
        }

        Dictionary<string, double> Figures(string prefix) => results.First(r => r.StartsWith(prefix, StringComparison.Ordinal))
            .Split(' ').Skip(2).Select(pair => pair.Split('=')).ToDictionary(pair => pair[0], pair => double.Parse(pair[1], CultureInfo.InvariantCulture));
        Dictionary<string, double> open = Figures("RESULT open");
        Dictionary<string, double> streamed = Figures("RESULT fit-streaming");
        Dictionary<string, double> inMemory = Figures("RESULT fit-memory");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  streamed peak RSS above the process that only opens the file: {streamed["peak_rss_mib"] - open["peak_rss_mib"]:F1} MiB (issue 20: at most 400)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  held-out RMSE streamed / in memory: {streamed["rmse"] / inMemory["rmse"]:F5} (issue 20: within 1%)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  median epoch streamed / in memory: {streamed["epoch_median_ms"]:F0} ms / {inMemory["epoch_median_ms"]:F0} ms"));
    }

    /// <summary>Runs this program again with <paramref name="arguments"/> after <c>streaming</c>, echoing its output; returns its RESULT lines.</summary>
    private static List<string> RunChild(string[] arguments) => ChildProcess.Run(["streaming", .. arguments]);

    private static string Mebibytes(long? bytes) => bytes is { } b ? (b / (double)(1 << 20)).ToString("F1", CultureInfo.InvariantCulture) : "NaN";

    private static double Median(double[] sorted) => sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;

    /// <summary>The parsed options.</summary>
    private sealed record Settings(long Rows, long TestRows, string Directory, string? Mode, long? Budget, int[] Hidden, int? Epochs, int BatchSize)
    {
        internal static Settings Parse(string[] args)
        {
            var settings = new Settings(8_000_000, 200_000, Path.Combine(Path.GetTempPath(), "gdtrainer-streaming"), null, null, [], null, 256);
            for (int i = 0; i < args.Length; i++)
            {
                string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.\n" + Usage);
                settings = args[i] switch
                {
                    "--rows" => settings with { Rows = long.Parse(value, CultureInfo.InvariantCulture) },
                    "--test-rows" => settings with { TestRows = long.Parse(value, CultureInfo.InvariantCulture) },
                    "--dir" => settings with { Directory = value },
                    "--mode" => settings with { Mode = value },
                    "--budget" => settings with { Budget = long.Parse(value, CultureInfo.InvariantCulture) },
                    "--hidden" => settings with { Hidden = [.. value.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] },
                    "--epochs" => settings with { Epochs = int.Parse(value, CultureInfo.InvariantCulture) },
                    "--batch-size" => settings with { BatchSize = int.Parse(value, CultureInfo.InvariantCulture) },
                    _ => throw new ArgumentException($"Unknown option '{args[i]}'.\n" + Usage),
                };
                i++;
            }

            return settings;
        }
    }

    /// <summary>Keeps the trainer's DataPlacement event (where the rows went and why); prints warnings and errors.</summary>
    private sealed class PlacementLogger : ILogger
    {
        internal string Placement { get; private set; } = "(no placement logged)";

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 8)
            {
                Placement = formatter(state, exception);
            }
            else if (logLevel >= LogLevel.Warning)
            {
                Console.WriteLine($"  {logLevel}: {formatter(state, exception)}");
            }
        }
    }

    private sealed class Recorder(List<EpochReport> reports) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => reports.Add(value);
    }
}
