using System.Diagnostics;
using System.Globalization;
using GdTrainer.MLNet;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Convergence;

/// <summary>
/// Measures how close the regression trainer with default options gets to the least-squares optimum on the
/// real data sets in <c>../shared/data</c> (housing, generated_regression_dataset, taxi fares), with no normaliser
/// and with ML.NET's <c>NormalizeMeanVariance</c> (fixZero true and false) in the pipeline: the training mean
/// squared error above the closed-form optimum's, and the held-out R² next to the optimum's, on 80/20 splits.
/// </summary>
public static class ConvergenceCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "convergence";

    /// <summary>One line per option, for the usage text.</summary>
    public const string Usage = "convergence [--data-dir ../shared/data] [--seed 42]";

    /// <summary>Runs the measurement and prints one table row per data set and normaliser.</summary>
    public static int Run(CommandLineOptions options, TextWriter output)
    {
        string directory = options.GetString("--data-dir", Path.Combine("..", "shared", "data"))!;
        int seed = options.GetInt32("--seed", 42);
        options.EnsureAllUsed();

        (string File, string Label)[] sets = [("housing.txt", "MedianHomeValue"), ("generated_regression_dataset.csv", "target"), ("taxi-fare-train.csv", "fare_amount")];
        output.WriteLine($"GradientDescent with default options against the closed-form least-squares optimum (80/20 TrainTestSplit, seed {seed})");
        output.WriteLine();
        output.WriteLine("| data | normaliser in the pipeline | train rows | train MSE above optimum | held-out R² (optimum) | epochs | stopped | fit |");
        output.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |");
        int found = 0;
        foreach ((string file, string label) in sets)
        {
            string path = Path.Combine(directory, file);
            if (!File.Exists(path))
            {
                output.WriteLine($"| {file} | (absent: {Path.GetFullPath(path)} not found) | | | | | | |");
                continue;
            }

            found++;
            foreach (PipelineNormalizer normalizer in Enum.GetValues<PipelineNormalizer>())
            {
                output.WriteLine(Measure(path, file, label, normalizer, seed));
            }
        }

        if (found == 0)
        {
            output.WriteLine();
            output.WriteLine($"None of the data sets was found in '{Path.GetFullPath(directory)}'; pass --data-dir.");
            return 1;
        }

        return 0;
    }

    private static string Measure(string path, string file, string label, PipelineNormalizer normalizer, int seed)
    {
        var mlContext = new MLContext(seed);
        RegressionDataSet dataSet = CsvRegressionData.Load(mlContext, path, label, normalizer);
        DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(dataSet.Data, 0.2, seed: seed);
        ITransformer featurizer = dataSet.Featurizer.Fit(split.TrainSet);
        IDataView train = mlContext.Data.Cache(featurizer.Transform(split.TrainSet));
        IDataView test = mlContext.Data.Cache(featurizer.Transform(split.TestSet));

        LeastSquaresReference optimum = LeastSquaresReference.Fit(train);
        (double optimumTrainMse, _) = optimum.Evaluate(train);
        (_, double optimumTestR2) = optimum.Evaluate(test);

        var stopwatch = Stopwatch.StartNew();
        GradientDescentRegressionTransformer model = mlContext.Regression.Trainers.GradientDescent().Fit(train);
        stopwatch.Stop();
        RegressionMetrics trainMetrics = mlContext.Regression.Evaluate(model.Transform(train));
        RegressionMetrics testMetrics = mlContext.Regression.Evaluate(model.Transform(test));
        double excess = (trainMetrics.MeanSquaredError - optimumTrainMse) / optimumTrainMse;
        string name = normalizer switch
        {
            PipelineNormalizer.None => "none",
            PipelineNormalizer.MeanVarianceFixZero => "NormalizeMeanVariance (fixZero: true)",
            _ => "NormalizeMeanVariance (fixZero: false)",
        };
        return string.Create(CultureInfo.InvariantCulture,
            $"| {file} | {name} | {DataViews.CountRows(train)} | {excess * 100:F4}% | {testMetrics.RSquared:F4} ({optimumTestR2:F4}) | {model.Model.EpochsRun} | {model.Model.StopReason} | {stopwatch.Elapsed.TotalMilliseconds:F0} ms |");
    }
}
