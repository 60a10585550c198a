using System.Diagnostics;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Mlp;
using Xunit.Abstractions;

namespace GdTrainer.Tests.Samples;

/// <summary>
/// The MLP example against the function it learns: the fitted curve is compared with <c>sin(3x)</c> computed
/// here in double, and with the best straight line (least squares in closed form, in double) as the baseline
/// that a model without hidden layers cannot beat.
/// </summary>
public sealed class MlpSampleTests(ITestOutputHelper output)
{
    [Fact]
    public void DefaultSettingsFitSinThreeXWellBelowTheNoiseAndFarBetterThanTheBestLine()
    {
        // The defaults but 500 of the 2000 steps (the cosine schedule shortened to match): the training loss is
        // at the noise floor by then (RMS from the truth 0.016-0.023 over seeds 1, 2, 3, 7, 42), and a Debug
        // build on a busy machine takes ~5 ms a step.
        var options = new MlpRegressionOptions { Iterations = 500 };
        var stopwatch = Stopwatch.StartNew();
        MlpRegressionResult result = MlpRegression.Train(options, TextWriter.Null);
        stopwatch.Stop();

        Assert.Equal(options.Points, result.X.Length);
        Assert.All(result.X, x => Assert.InRange(x, -1f, 1f));
        double fitError = RmsFromTruth(result.Grid, i => result.Predictions[i]);
        (double[] slopes, double intercept) = GdTrainer.Tests.MLNet.LeastSquares.Solve(Array.ConvertAll(result.X, x => new[] { x }), result.Y);
        double slope = slopes[0];
        double lineError = RmsFromTruth(result.Grid, i => (slope * result.Grid[i]) + intercept);
        output.WriteLine($"training {stopwatch.Elapsed.TotalMilliseconds:F0} ms; RMS from sin(3x): MLP {fitError:F4}, best line {lineError:F4}");

        // Noise sd 0.1 on 300 points: a good fit is within a few hundredths of the truth everywhere on the grid.
        Assert.InRange(fitError, 0, 0.05);
        Assert.True(fitError < lineError / 10, $"MLP {fitError:F4} is not 10x closer to sin(3x) than the best line {lineError:F4}");

        // Neither under- nor overfitted: the training MSE is close to the noise's own mean square, computed here from the data.
        double noiseMeanSquare = 0;
        for (int i = 0; i < result.X.Length; i++)
        {
            double residual = result.Y[i] - Math.Sin(3.0 * result.X[i]);
            noiseMeanSquare += residual * residual / result.X.Length;
        }

        Assert.InRange(result.Losses[^1], 0.9 * noiseMeanSquare, 1.02 * noiseMeanSquare);
        Assert.True(result.Losses[^1] < result.Losses[0] / 20, $"loss went from {result.Losses[0]} to {result.Losses[^1]}");
    }

    [Fact]
    public void WithoutNoiseAndWithThreeHiddenLayersTheFitComesCloserStill()
    {
        // Exact targets at 100 points: the fit is limited only by training and by the edges the points miss
        // (grid RMS 0.0024-0.0080 over seeds 1, 2, 3, 42 at these settings).
        var options = new MlpRegressionOptions { Noise = 0f, Points = 100, Hidden = [16, 16, 16], Iterations = 1000, Seed = 1 };
        MlpRegressionResult result = MlpRegression.Train(options, TextWriter.Null);

        double fitError = RmsFromTruth(result.Grid, i => result.Predictions[i]);
        output.WriteLine($"noise-free RMS from sin(3x): {fitError:F5}");
        Assert.InRange(fitError, 0, 0.01);
    }

    [Fact]
    public void SameSeedGivesTheSameCurveAndDifferentSeedsDiffer()
    {
        var options = new MlpRegressionOptions { Iterations = 50, Points = 40 };
        MlpRegressionResult first = MlpRegression.Train(options, TextWriter.Null);
        MlpRegressionResult second = MlpRegression.Train(options, TextWriter.Null);
        MlpRegressionResult other = MlpRegression.Train(options with { Seed = 1 }, TextWriter.Null);

        Assert.Equal(first.Y, second.Y);
        Assert.Equal(first.Predictions, second.Predictions);
        Assert.NotEqual(first.X, other.X);
        Assert.NotEqual(first.Predictions, other.Predictions);
    }

    [Fact]
    public void CommandPrintsTheLossEveryPrintEveryIterationsAndWritesThePlot()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"gdtrainer-mlp-{Guid.NewGuid():N}");
        string plot = Path.Combine(directory, "fit.png");
        var text = new StringWriter();
        try
        {
            int exitCode = MlpCommand.Run(
                CommandLineOptions.Parse(["mlp", "--iterations", "300", "--print-every", "100", "--hidden", "8, 8", "--noise", "0", "--plot", plot], "seed"), text);

            Assert.Equal(0, exitCode);
            string printed = text.ToString();
            Assert.Contains("Mlp(1, [8, 8], 1, Tanh), 97 parameters", printed, StringComparison.Ordinal);
            Assert.Contains("iteration   100: loss", printed, StringComparison.Ordinal);
            Assert.Contains("iteration   300: loss", printed, StringComparison.Ordinal);
            Assert.DoesNotContain("iteration   400", printed, StringComparison.Ordinal);
            Assert.Contains($"plot: {plot}", printed, StringComparison.Ordinal);
            byte[] png = File.ReadAllBytes(plot);
            Assert.True(png.Length > 10_000, $"the PNG has only {png.Length} bytes");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
            Assert.Single(Directory.GetFiles(directory)); // no temporary file left behind
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("--hidden", "32,0", "--hidden must be hidden-layer widths as positive integers separated by commas")]
    [InlineData("--hidden", "32;32", "but was '32;32'")]
    [InlineData("--noise", "-0.1", "--noise must be a number >= 0")]
    [InlineData("--learning-rate", "0", "--learning-rate must be a positive number")]
    [InlineData("--print-every", "0", "--print-every must be an integer >= 1")]
    [InlineData("--points", "1", "--points must be an integer >= 2")]
    [InlineData("--hiden", "8", "does not know option --hiden")]
    public void CommandRejectsBadOptionsNamingThem(string name, string value, string expected)
    {
        var error = Assert.Throws<CommandLineException>(
            () => MlpCommand.Run(CommandLineOptions.Parse(["mlp", name, value], "seed"), TextWriter.Null));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    /// <summary>RMS distance of a curve from sin(3x) over the grid, in double.</summary>
    private static double RmsFromTruth(float[] grid, Func<int, double> curve)
    {
        double sum = 0;
        for (int i = 0; i < grid.Length; i++)
        {
            double difference = curve(i) - Math.Sin(3.0 * grid[i]);
            sum += difference * difference;
        }

        return Math.Sqrt(sum / grid.Length);
    }
}
