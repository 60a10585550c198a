using System.Globalization;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Plotting;

namespace GdTrainer.Samples.Mlp;

/// <summary>Trains a small MLP on <c>sin(3x)</c> plus noise with the engine alone, then writes a PNG of the points, the truth and the fitted curve.</summary>
public static class MlpCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "mlp";

    /// <summary>One line per option, for the usage text.</summary>
    public const string Usage =
        "mlp [--iterations 2000] [--print-every 200] [--learning-rate 0.01] [--points 300] [--noise 0.1] [--hidden 32,32] [--seed 42] [--plot mlp-fit.png]";

    /// <summary>Runs the example with the options given.</summary>
    /// <exception cref="CommandLineException">An option is unknown or its value is out of range (the message names it).</exception>
    public static int Run(CommandLineOptions options, TextWriter output)
    {
        var defaults = new MlpRegressionOptions();
        var settings = new MlpRegressionOptions
        {
            Iterations = options.GetInt32("--iterations", defaults.Iterations, minimum: 1),
            PrintEvery = options.GetInt32("--print-every", defaults.PrintEvery, minimum: 1),
            LearningRate = options.GetPositiveSingle("--learning-rate", defaults.LearningRate),
            Points = options.GetInt32("--points", defaults.Points, minimum: 2),
            Noise = options.GetNonNegativeSingle("--noise", defaults.Noise),
            Hidden = options.GetWidths("--hidden", defaults.Hidden),
            Seed = options.GetInt32("--seed", defaults.Seed),
        };
        string plotPath = options.GetString("--plot", "mlp-fit.png")!;
        options.EnsureAllUsed();

        MlpRegressionResult result = MlpRegression.Train(settings, output);
        string written = PngPlots.SaveFittedCurve(
            plotPath, result.X, result.Y, result.Grid, result.Truth, result.Predictions,
            $"MLP [{string.Join(", ", settings.Hidden)}] fitted to sin(3x) + noise (seed {settings.Seed})",
            truthLabel: "truth: sin(3x)");
        output.WriteLine($"plot: {written}");
        return 0;
    }
}
