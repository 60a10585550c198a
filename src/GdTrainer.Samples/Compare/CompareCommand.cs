using System.Diagnostics;
using System.Globalization;
using GdTrainer.MLNet;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Data;
using GdTrainer.Samples.Plotting;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Compare;

/// <summary>
/// Trains ML.NET's SDCA, GdTrainer's linear model, GdTrainer's MLP (early stopping on a validation hold-out) and ML.NET's
/// FastTree on the same featurized train/test split, prints one table (RMSE, MAE, R², fit time, epochs run, why training
/// stopped), and writes a PNG of the MLP's training and validation loss per epoch. <c>--repeat N</c> repeats it over N split
/// seeds and adds the mean.
/// </summary>
public static class CompareCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "compare";

    /// <summary>One line per option, for the usage text.</summary>
    public const string Usage =
        "compare [--data generated|friedman|housing|taxi|PATH] [--data-dir ../shared/data] [--label COLUMN] [--normalizer none|fixzero|meanvariance] [--rows 100000 (friedman: 25000)] [--features 20] [--seed 42] [--repeat 1] [--folds K (k-fold instead of splits)] [--model-seeds 0,5,9 (our trainers' seeds; default: the split's)] [--test-fraction 0.2] [--trainers all|sdca,linear,mlp,fasttree] [--warm-fit true] [--epochs N] [--learning-rate R] [--batch-size 256] [--hidden 64,64] [--optimizer adam|adamw|sgd] [--mlp-learning-rate 0.001] [--mlp-epochs 500] [--mlp-batch-size 32] [--validation-fraction 0.2 (0: no early stopping)] [--early-stopping-patience 30] [--l2 0] [--dropout 0] [--plot compare-loss.png]";

    /// <summary>Runs the comparison with the options given and prints the table to <paramref name="output"/>.</summary>
    /// <exception cref="CommandLineException">An option is unknown or out of range.</exception>
    /// <exception cref="FileNotFoundException">A named data set (housing, taxi) or a data file is not there; the message says where it was looked for.</exception>
    public static int Run(CommandLineOptions options, TextWriter output)
    {
        CompareSettings settings = CompareSettings.Parse(options);
        options.EnsureAllUsed();

        var results = new List<TrainerResult>();
        TrainingHistory? plotted = null;
        string plottedName = string.Empty;
        int runs = settings.Folds > 0 ? settings.Folds : settings.Repeat;
        var foldsContext = new MLContext(settings.Seed);
        IReadOnlyList<DataOperationsCatalog.TrainTestData>? folds = settings.Folds > 0
            ? foldsContext.Data.CrossValidationSplit(LoadData(foldsContext, settings).Data, settings.Folds, seed: settings.Seed)
            : null;
        for (int run = 0; run < runs; run++)
        {
            int seed = folds is null ? settings.Seed + run : settings.Seed;
            MLContext mlContext = folds is null ? new MLContext(seed) : foldsContext;
            RegressionDataSet dataSet = LoadData(mlContext, settings);
            if (run == 0)
            {
                output.WriteLine($"data: {dataSet.Description}");
            }

            DataOperationsCatalog.TrainTestData split = folds?[run] ?? mlContext.Data.TrainTestSplit(dataSet.Data, settings.TestFraction, seed: seed);
            ITransformer featurizer = dataSet.Featurizer.Fit(split.TrainSet);
            IDataView train = mlContext.Data.Cache(featurizer.Transform(split.TrainSet));
            IDataView test = mlContext.Data.Cache(featurizer.Transform(split.TestSet));
            string splitName = folds is null ? $"split (seed {seed})" : $"fold {run + 1} of {settings.Folds} (seed {seed})";
            output.WriteLine($"{splitName}: {DataViews.CountRows(train)} training rows, {DataViews.CountRows(test)} test rows");

            foreach (string trainer in settings.Trainers)
            {
                bool ours = trainer is "linear" or "mlp";
                foreach (int modelSeed in ours && settings.ModelSeeds is { } seeds ? seeds : [seed])
                {
                    TrainerResult result = Evaluate(mlContext, settings, trainer, modelSeed, train, test, output) with { Seed = folds is null ? seed : run + 1 };
                    results.Add(result);
                    if (run == 0 && result.History is { } history && (plotted is null || trainer == "mlp"))
                    {
                        (plotted, plottedName) = (history, result.Name);
                    }
                }
            }
        }

        output.WriteLine();
        WriteTable(output, results, runs > 1 || settings.ModelSeeds is not null);
        if (runs > 1 || settings.ModelSeeds is { Count: > 1 })
        {
            output.WriteLine();
            string over = folds is null
                ? $"{settings.Repeat} split seed{(settings.Repeat > 1 ? "s" : string.Empty)} ({settings.Seed} to {settings.Seed + settings.Repeat - 1})"
                : $"{settings.Folds} folds (seed {settings.Seed})";
            string models = settings.ModelSeeds is { } seeds ? $" x model seeds {string.Join(", ", seeds)} for GdTrainer's trainers" : string.Empty;
            output.WriteLine($"mean over {over}{models}; the worst run is the lowest R²:");
            output.WriteLine();
            WriteMeans(output, results);
        }

        if (plotted is not null)
        {
            string written = PngPlots.SaveTrainingAndValidationLoss(
                settings.PlotPath, plotted.TrainingLosses(), plotted.ValidationLosses(),
                $"{WithoutSettings(plottedName)}: loss per epoch (seed {settings.Seed})", plotted.RestoredEpoch);
            output.WriteLine();
            output.WriteLine($"loss curves: {written}");
        }

        return 0;
    }

    private static RegressionDataSet LoadData(MLContext mlContext, CompareSettings settings)
    {
        switch (settings.Data.ToLowerInvariant())
        {
            case "generated":
                return Generated(mlContext, settings.Rows, settings.Features, settings.Seed, settings.Normalizer);
            case "friedman":
                return Friedman(mlContext, settings.Rows, settings.Seed, settings.Normalizer);
            case "housing":
                return CsvRegressionData.Load(mlContext, SharedFile(settings, "housing.txt"), settings.Label ?? "MedianHomeValue", settings.Normalizer);
            case "taxi":
                return CsvRegressionData.Load(mlContext, SharedFile(settings, "taxi-fare-train.csv"), settings.Label, settings.Normalizer);
            default:
                return CsvRegressionData.Load(mlContext, settings.Data, settings.Label, settings.Normalizer);
        }
    }

    private static string SharedFile(CompareSettings settings, string file)
    {
        string path = Path.Combine(settings.DataDirectory, file);
        if (!File.Exists(path))
        {
            string directory = Path.GetFullPath(settings.DataDirectory);
            string why = Directory.Exists(directory) ? $"'{directory}' has no {file}" : $"the folder '{directory}' does not exist";
            throw new FileNotFoundException(
                $"--data {settings.Data.ToLowerInvariant()} reads {file} from the shared data folder, but {why}. The real data sets live in ../shared/data " +
                "next to the repository (run from the repository root, or pass --data-dir DIR); without them, use --data generated or --data friedman.",
                path);
        }

        return path;
    }

    private static RegressionDataSet Generated(MLContext mlContext, int rows, int features, int seed, PipelineNormalizer normalizer)
    {
        var data = SyntheticRegressionData.Generate(rows, features, seed);
        return new RegressionDataSet(
            data.ToDataView(mlContext),
            Normalize(mlContext, normalizer), // SDCA wants normalised features; GdTrainer standardises inside the trainer either way.
            $"generated linear regression, {rows} rows x {features} features (seed {seed}, noise sd {data.NoiseStandardDeviation}), normaliser: {normalizer}");
    }

    private static RegressionDataSet Friedman(MLContext mlContext, int rows, int seed, PipelineNormalizer normalizer) => new(
        FriedmanData.ToDataView(mlContext, FriedmanData.Generate(rows, seed)),
        Normalize(mlContext, normalizer),
        $"Friedman #1, {rows} rows x {FriedmanData.FeatureCount} uniform features (5 irrelevant), noise sd 1 (seed {seed}), normaliser: {normalizer}");

    private static IEstimator<ITransformer> Normalize(MLContext mlContext, PipelineNormalizer normalizer) => normalizer == PipelineNormalizer.None
        ? new EstimatorChain<ITransformer>()
        : mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: normalizer == PipelineNormalizer.MeanVarianceFixZero);

    private static TrainerResult Evaluate(MLContext mlContext, CompareSettings settings, string trainer, int seed, IDataView train, IDataView test, TextWriter output)
    {
        (string Name, Func<IEstimator<ITransformer>> Create) chosen = trainer switch
        {
            "sdca" => ("ML.NET Sdca (defaults)", () => mlContext.Regression.Trainers.Sdca()),
            "linear" => (LinearName(settings), () => mlContext.Regression.Trainers.GradientDescent(LinearOptions(settings, seed))),
            "mlp" => (MlpName(settings), () => mlContext.Regression.Trainers.GradientDescent(MlpOptions(settings, seed))),
            "fasttree" => ("ML.NET FastTree (defaults: 100 trees)", () => mlContext.Regression.Trainers.FastTree()),
            _ => throw new InvalidOperationException($"Unknown trainer '{trainer}'."),
        };
        (string name, Func<IEstimator<ITransformer>> create) = chosen;

        var stopwatch = Stopwatch.StartNew();
        ITransformer model = create().Fit(train);
        TimeSpan firstFit = stopwatch.Elapsed;
        TimeSpan? warmFit = null;
        TimeSpan? warmCpu = null;
        if (settings.WarmFit)
        {
            // The same fit again: the JIT and ML.NET's one-time set-up are done, so this is the cost a service pays per model.
            // The process's CPU time beside the wall clock: on a shared machine the wall clock also counts the time others ran.
            using var process = Process.GetCurrentProcess();
            TimeSpan cpuBefore = process.TotalProcessorTime;
            stopwatch.Restart();
            model = create().Fit(train);
            warmFit = stopwatch.Elapsed;
            process.Refresh();
            warmCpu = process.TotalProcessorTime - cpuBefore;
        }

        RegressionMetrics metrics = mlContext.Regression.Evaluate(model.Transform(test));
        (string epochs, string stopped, TrainingHistory? history) = model switch
        {
            GradientDescentRegressionTransformer ours => (
                ours.Model.EpochsRun.ToString(CultureInfo.InvariantCulture),
                ours.Model.History.ToString(),
                ours.Model.History),
            _ when trainer == "fasttree" => ("100 trees", "-", null),
            _ => ("-", "-", null),
        };
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: R² {metrics.RSquared:F4}, {stopped}, fit {firstFit.TotalSeconds:F3} s"));
        return new TrainerResult(name, seed, seed, metrics, firstFit, warmFit, warmCpu, epochs, stopped, history);
    }

    private static string LinearName(CompareSettings settings) => string.Create(CultureInfo.InvariantCulture,
        $"GdTrainer linear (batch {settings.LinearBatchSize}, lr {(settings.LinearLearningRate is { } rate ? rate.ToString(CultureInfo.InvariantCulture) : "derived")})");

    private static string MlpName(CompareSettings settings) => string.Create(CultureInfo.InvariantCulture,
        $"GdTrainer MLP [{string.Join(", ", settings.Hidden)}] ({settings.Optimizer} {settings.MlpLearningRate}, batch {settings.MlpBatchSize}{(settings.ValidationFraction > 0 ? $", early stopping on {settings.ValidationFraction:P0}" : string.Empty)}{(settings.L2 > 0 ? $", L2 {settings.L2}" : string.Empty)}{(settings.Dropout > 0 ? $", dropout {settings.Dropout}" : string.Empty)})");

    private static GradientDescentRegressionTrainer.Options LinearOptions(CompareSettings settings, int seed)
    {
        var options = new GradientDescentRegressionTrainer.Options
        {
            LearningRate = settings.LinearLearningRate,
            BatchSize = settings.LinearBatchSize,
            Seed = seed,
        };
        if (settings.LinearEpochs is { } epochs)
        {
            options.NumberOfEpochs = epochs;
        }

        return options;
    }

    private static GradientDescentRegressionTrainer.Options MlpOptions(CompareSettings settings, int seed)
    {
        GradientDescentRegressionTrainer.Options options = MlpRecipe.Options(seed);
        options.HiddenLayers = [.. settings.Hidden];
        options.Optimizer = settings.Optimizer switch
        {
            "adamw" => OptimizerSettings.AdamW(),
            "sgd" => OptimizerSettings.Sgd(momentum: 0.9f, nesterov: true),
            _ => OptimizerSettings.Adam(),
        };
        options.LearningRate = settings.MlpLearningRate;
        options.NumberOfEpochs = settings.MlpEpochs;
        options.BatchSize = settings.MlpBatchSize;
        options.ValidationFraction = settings.ValidationFraction;
        options.EarlyStopping = settings.ValidationFraction > 0 ? new EarlyStopping { Patience = settings.EarlyStoppingPatience } : null; // 0: no hold-out, no early stopping
        options.L2Regularization = settings.L2;
        options.Dropout = settings.Dropout;
        return options;
    }

    private static void WriteTable(TextWriter output, List<TrainerResult> results, bool withSeed)
    {
        int width = Math.Max(40, results.Max(result => result.Name.Length));
        output.WriteLine($"| {"trainer".PadRight(width)} | {"RMSE",9} | {"MAE",9} | {"R²",7} | {"fit (1st)",10} | {"fit (warm)",10} | {"CPU (warm)",10} | {"epochs",9} | stopped{(withSeed ? " | split | model seed" : string.Empty)}");
        output.WriteLine($"|{new string('-', width + 2)}|{new string('-', 10)}:|{new string('-', 10)}:|{new string('-', 8)}:|{new string('-', 11)}:|{new string('-', 11)}:|{new string('-', 11)}:|{new string('-', 10)}:|---{(withSeed ? "|---:|---:" : string.Empty)}");
        foreach (TrainerResult result in results)
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {result.Name.PadRight(width)} | {result.Metrics.RootMeanSquaredError,9:F4} | {result.Metrics.MeanAbsoluteError,9:F4} | {result.Metrics.RSquared,7:F4} | {Seconds(result.FirstFit),10} | {(result.WarmFit is { } warm ? Seconds(warm) : "-"),10} | {(result.WarmCpu is { } cpu ? Seconds(cpu) : "-"),10} | {result.Epochs,9} | {result.Stopped}{(withSeed ? $" | {result.Seed} | {result.ModelSeed}" : string.Empty)}"));
        }
    }

    private static void WriteMeans(TextWriter output, List<TrainerResult> results)
    {
        int width = Math.Max(40, results.Max(result => result.Name.Length));
        output.WriteLine($"| {"trainer".PadRight(width)} | {"mean RMSE",9} | {"mean MAE",9} | {"mean R²",7} | {"R² min..max",15} | {"mean fit (1st)",14} | {"mean fit (warm)",15} | {"mean CPU (warm)",15} | {"mean epochs",11} |");
        output.WriteLine($"|{new string('-', width + 2)}|{new string('-', 10)}:|{new string('-', 10)}:|{new string('-', 8)}:|{new string('-', 16)}:|{new string('-', 15)}:|{new string('-', 16)}:|{new string('-', 16)}:|{new string('-', 12)}:|");
        foreach (IGrouping<string, TrainerResult> group in results.GroupBy(result => result.Name))
        {
            TrainerResult[] runs = [.. group];
            double epochs = runs.All(run => int.TryParse(run.Epochs, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                ? runs.Average(run => int.Parse(run.Epochs, CultureInfo.InvariantCulture))
                : double.NaN;
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {group.Key.PadRight(width)} | {runs.Average(run => run.Metrics.RootMeanSquaredError),9:F4} | {runs.Average(run => run.Metrics.MeanAbsoluteError),9:F4} | {runs.Average(run => run.Metrics.RSquared),7:F4} | {$"{runs.Min(run => run.Metrics.RSquared):F4}..{runs.Max(run => run.Metrics.RSquared):F4}",15} | {Seconds(TimeSpan.FromTicks((long)runs.Average(run => run.FirstFit.Ticks))),14} | {(runs.All(run => run.WarmFit is not null) ? Seconds(TimeSpan.FromTicks((long)runs.Average(run => run.WarmFit!.Value.Ticks))) : "-"),15} | {(runs.All(run => run.WarmCpu is not null) ? Seconds(TimeSpan.FromTicks((long)runs.Average(run => run.WarmCpu!.Value.Ticks))) : "-"),15} | {(double.IsNaN(epochs) ? "-" : epochs.ToString("F1", CultureInfo.InvariantCulture)),11} |"));
        }
    }

    /// <summary>The trainer's name without its settings in parentheses, short enough for a chart title.</summary>
    private static string WithoutSettings(string name) => name.IndexOf(" (", StringComparison.Ordinal) is > 0 and int end ? name[..end] : name;

    private static string Seconds(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds:F3} s");

    private sealed record TrainerResult(
        string Name, int Seed, int ModelSeed, RegressionMetrics Metrics, TimeSpan FirstFit, TimeSpan? WarmFit, TimeSpan? WarmCpu, string Epochs, string Stopped, TrainingHistory? History);
}
