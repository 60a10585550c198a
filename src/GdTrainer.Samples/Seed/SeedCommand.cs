using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Plotting;

namespace GdTrainer.Samples.Seed;

/// <summary>The default command: the PyTorch linear-regression example, then a PNG of the points and the fitted line.</summary>
public static class SeedCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "seed";

    /// <summary>One line per option, for the usage text.</summary>
    public const string Usage =
        "seed [--iterations 3000] [--learning-rate 0.01] [--seed 42] [--points 50 (at most 1,000,000)] [--plot seed-regression.png]";

    /// <summary>Runs the example with the options given.</summary>
    public static int Run(CommandLineOptions options, TextWriter output)
    {
        var defaults = new SeedRegressionOptions();
        var settings = new SeedRegressionOptions
        {
            Iterations = options.GetInt32("--iterations", defaults.Iterations, minimum: 1),
            LearningRate = options.GetPositiveSingle("--learning-rate", defaults.LearningRate),
            Seed = options.GetInt32("--seed", defaults.Seed),
            Points = options.GetInt32("--points", defaults.Points, minimum: 2, maximum: SeedRegressionOptions.MaxPoints,
                why: "Every iteration runs over all points, so larger sizes take many minutes; use the compare command (the ML.NET trainer) for large data."),
        };
        string plotPath = options.GetString("--plot", "seed-regression.png")!;
        options.EnsureAllUsed();

        SeedRegressionResult result = SeedRegression.Train(settings, output);
        string written = PngPlots.SaveFittedLine(
            plotPath, result.X, result.Y, result.Weight, result.Bias, $"Linear regression by gradient descent (seed {settings.Seed})");
        output.WriteLine($"plot: {written}");
        return 0;
    }
}
