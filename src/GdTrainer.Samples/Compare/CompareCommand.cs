using System.Diagnostics;
using System.Globalization;
using GdTrainer.MLNet;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Data;
using GdTrainer.Samples.Plotting;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Compare;

/// <summary>
/// Trains ML.NET's SDCA and GdTrainer's GradientDescent on the same featurizing pipeline and the
/// same train/test split, prints RMSE, MAE, R² and fit time for each, and writes a PNG of our loss curve.
/// </summary>
public static class CompareCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "compare";

    /// <summary>One line per option, for the usage text.</summary>
    public const string Usage =
        "compare [--data CSV] [--label COLUMN] [--normalizer none|fixzero|meanvariance] [--rows 100000] [--features 20] [--seed 42] [--epochs N] [--learning-rate R] [--batch-size 256] [--test-fraction 0.2] [--plot compare-loss.png]";

    /// <summary>Runs the comparison with the options given and prints the table to <paramref name="output"/>.</summary>
    public static int Run(CommandLineOptions options, TextWriter output)
    {
        string? dataPath = options.GetString("--data", null);
        string? label = options.GetString("--label", null);
        int rows = options.GetInt32("--rows", 100_000, minimum: 10);
        int features = options.GetInt32("--features", 20, minimum: 1);
        int seed = options.GetInt32("--seed", 42);
        var defaults = new GradientDescentRegressionTrainer.Options();
        int epochs = options.GetInt32("--epochs", defaults.NumberOfEpochs ?? 1000, minimum: 1);
        float? learningRate = options.GetString("--learning-rate", null) is null ? null : options.GetPositiveSingle("--learning-rate", 1f);
        PipelineNormalizer normalizer = (options.GetString("--normalizer", "meanvariance") ?? "meanvariance").ToLowerInvariant() switch
        {
            "none" => PipelineNormalizer.None,
            "fixzero" => PipelineNormalizer.MeanVarianceFixZero,
            "meanvariance" => PipelineNormalizer.MeanVariance,
            string other => throw new CommandLineException($"Option --normalizer must be none, fixzero or meanvariance, but was '{other}'."),
        };
        int batchSize = options.GetInt32("--batch-size", 256, minimum: 1);
        float testFraction = options.GetPositiveSingle("--test-fraction", 0.2f);
        string plotPath = options.GetString("--plot", "compare-loss.png")!;
        options.EnsureAllUsed();
        if (testFraction >= 1)
        {
            throw new CommandLineException($"Option --test-fraction must be below 1, but was {testFraction.ToString(CultureInfo.InvariantCulture)}.");
        }

        var mlContext = new MLContext(seed);
        RegressionDataSet dataSet = dataPath is null
            ? Generated(mlContext, rows, features, seed, normalizer)
            : CsvRegressionData.Load(mlContext, dataPath, label, normalizer);
        output.WriteLine($"data: {dataSet.Description}");

        DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(dataSet.Data, testFraction, seed: seed);
        IDataView train = mlContext.Data.Cache(split.TrainSet);
        IDataView test = mlContext.Data.Cache(split.TestSet);
        output.WriteLine($"split: {DataViews.CountRows(train)} training rows, {DataViews.CountRows(test)} test rows (seed {seed})");

        using ILoggerFactory loggerFactory = LoggerFactory.Create(builder => builder
            .AddSimpleConsole(console => { console.SingleLine = true; console.TimestampFormat = "HH:mm:ss "; })
            .SetMinimumLevel(LogLevel.Information));

        var gradientDescent = mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
        {
            NumberOfEpochs = epochs,
            LearningRate = learningRate,
            BatchSize = batchSize,
            Seed = seed,
            LossLoggingInterval = 10,
            LoggerFactory = loggerFactory,
            MLContext = mlContext,
        });
        var sdca = mlContext.Regression.Trainers.Sdca(labelColumnName: "Label", featureColumnName: "Features");

        var results = new List<TrainerResult>
        {
            Evaluate(mlContext, "ML.NET Sdca (defaults)", dataSet.Featurizer.Append(sdca), train, test, out _),
            Evaluate(mlContext, $"GdTrainer GradientDescent (batch {batchSize}, lr {(learningRate is { } rate ? rate.ToString(CultureInfo.InvariantCulture) : "derived")})", dataSet.Featurizer.Append(gradientDescent), train, test, out ITransformer ours),
        };
        loggerFactory.Dispose(); // Flush the console logger before the table is printed.

        output.WriteLine();
        output.WriteLine($"| {"trainer",-58} | {"RMSE",10} | {"MAE",10} | {"R²",8} | {"fit time",10} |");
        output.WriteLine($"|{new string('-', 60)}|{new string('-', 12)}|{new string('-', 12)}|{new string('-', 10)}|{new string('-', 12)}|");
        foreach (TrainerResult result in results)
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {result.Name,-58} | {result.Metrics.RootMeanSquaredError,10:F4} | {result.Metrics.MeanAbsoluteError,10:F4} | {result.Metrics.RSquared,8:F4} | {result.FitTime.TotalSeconds,8:F3} s |"));
        }

        GradientDescentRegressionTransformer trained = ((TransformerChain<GradientDescentRegressionTransformer>)ours).LastTransformer;
        output.WriteLine();
        output.WriteLine($"GdTrainer: {trained.Model.EpochsRun} epochs, stopped: {trained.Model.StopReason}");
        float[] losses = [.. trained.LossHistory];
        string written = PngPlots.SaveLossCurve(plotPath, losses, "GdTrainer GradientDescent: training loss per epoch", "epoch");
        output.WriteLine();
        output.WriteLine($"loss curve: {written}");
        return 0;
    }

    private static RegressionDataSet Generated(MLContext mlContext, int rows, int features, int seed, PipelineNormalizer normalizer)
    {
        var data = SyntheticRegressionData.Generate(rows, features, seed);
        IEstimator<ITransformer> featurizer = normalizer == PipelineNormalizer.None
            ? new EstimatorChain<ITransformer>()
            : mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: normalizer == PipelineNormalizer.MeanVarianceFixZero);
        return new RegressionDataSet(
            data.ToDataView(mlContext),
            featurizer, // SDCA wants normalised features; GdTrainer standardises inside the trainer either way.
            $"generated linear regression, {rows} rows x {features} features (seed {seed}, noise sd {data.NoiseStandardDeviation}), normaliser: {normalizer}");
    }

    private static TrainerResult Evaluate(
        MLContext mlContext, string name, IEstimator<ITransformer> pipeline, IDataView train, IDataView test, out ITransformer model)
    {
        var stopwatch = Stopwatch.StartNew();
        model = pipeline.Fit(train);
        stopwatch.Stop();
        RegressionMetrics metrics = mlContext.Regression.Evaluate(model.Transform(test));
        return new TrainerResult(name, metrics, stopwatch.Elapsed);
    }

    private sealed record TrainerResult(string Name, RegressionMetrics Metrics, TimeSpan FitTime);
}
