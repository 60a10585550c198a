using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Seed;

namespace GdTrainer.Tests.Samples;

/// <summary>
/// The seed example against references computed without the engine: the least-squares line in
/// closed form, and the gradient-descent trajectory iterated in double precision by hand.
/// </summary>
public sealed class SeedRegressionTests
{
    [Fact]
    public void DefaultRunApproachesTheClosedFormLeastSquaresLine()
    {
        SeedRegressionResult result = SeedRegression.Train(new SeedRegressionOptions(), TextWriter.Null);
        (double slope, double intercept) = LeastSquares(result.X, result.Y);

        // 3000 steps at lr 0.01 are not enough to converge fully (as in the PyTorch original),
        // but the fit must be close, and much closer than at the start.
        Assert.InRange(Math.Abs(result.Weight - slope), 0, 0.1);
        Assert.InRange(Math.Abs(result.Bias - intercept), 0, 0.05);
        Assert.True(result.Losses[^1] < result.Losses[0] / 100, $"loss went from {result.Losses[0]} to {result.Losses[^1]}");
    }

    [Fact]
    public void LongerTrainingConvergesToTheClosedFormSolution()
    {
        var options = new SeedRegressionOptions { Iterations = 30_000, LearningRate = 0.05f, Seed = 7 };
        SeedRegressionResult result = SeedRegression.Train(options, TextWriter.Null);
        (double slope, double intercept) = LeastSquares(result.X, result.Y);

        Assert.Equal(slope, result.Weight, 1e-3);
        Assert.Equal(intercept, result.Bias, 1e-3);
    }

    [Fact]
    public void EngineFollowsTheGradientDescentIterationComputedByHand()
    {
        var options = new SeedRegressionOptions { Iterations = 3000, Seed = 123 };
        SeedRegressionResult result = SeedRegression.Train(options, TextWriter.Null);

        // The initial w and b are the two draws that follow the 50 x values from the same generator.
        var generator = new Random(options.Seed);
        for (int i = 0; i < options.Points; i++)
        {
            generator.NextDouble();
        }

        double w = (float)generator.NextDouble();
        double b = (float)generator.NextDouble();
        int n = result.X.Length;
        for (int iteration = 0; iteration < options.Iterations; iteration++)
        {
            double gradientW = 0, gradientB = 0;
            for (int i = 0; i < n; i++)
            {
                double residual = (w * result.X[i]) + b - result.Y[i];
                gradientW += 2 * residual * result.X[i] / n;
                gradientB += 2 * residual / n;
            }

            w -= options.LearningRate * gradientW;
            b -= options.LearningRate * gradientB;
        }

        Assert.Equal(w, result.Weight, 1e-4);
        Assert.Equal(b, result.Bias, 1e-4);
    }

    [Fact]
    public void SameSeedGivesTheSameModelAndDifferentSeedsDiffer()
    {
        var options = new SeedRegressionOptions { Iterations = 200 };
        SeedRegressionResult first = SeedRegression.Train(options, TextWriter.Null);
        SeedRegressionResult second = SeedRegression.Train(options, TextWriter.Null);
        SeedRegressionResult other = SeedRegression.Train(options with { Seed = 1 }, TextWriter.Null);

        Assert.Equal(first.Weight, second.Weight);
        Assert.Equal(first.Bias, second.Bias);
        Assert.NotEqual(first.Weight, other.Weight);
    }

    [Fact]
    public void CommandPrintsEveryFiveHundredIterationsAndWritesThePlot()
    {
        string plot = Path.Combine(Path.GetTempPath(), $"gdtrainer-seed-{Guid.NewGuid():N}.png");
        var output = new StringWriter();
        try
        {
            int exitCode = SeedCommand.Run(CommandLineOptions.Parse(["--iterations", "1000", "--plot", plot], SeedCommand.Name), output);

            Assert.Equal(0, exitCode);
            string text = output.ToString();
            Assert.Contains("iteration   500: loss", text, StringComparison.Ordinal);
            Assert.Contains("iteration  1000: loss", text, StringComparison.Ordinal);
            Assert.Contains($"plot: {plot}", text, StringComparison.Ordinal);
            byte[] header = File.ReadAllBytes(plot)[..8];
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, header);
        }
        finally
        {
            File.Delete(plot);
        }
    }

    [Theory]
    [InlineData("--learning-rate", "-1", "--learning-rate must be a positive number")]
    [InlineData("--iterations", "zero", "--iterations must be an integer >= 1")]
    [InlineData("--itrations", "10", "does not know option --itrations")]
    public void CommandRejectsBadOptionsNamingThem(string name, string value, string expected)
    {
        var error = Assert.Throws<CommandLineException>(
            () => SeedCommand.Run(CommandLineOptions.Parse([name, value], SeedCommand.Name), TextWriter.Null));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    /// <summary>Ordinary least squares for one feature, in double: slope = cov(x, y) / var(x).</summary>
    private static (double Slope, double Intercept) LeastSquares(float[] x, float[] y)
    {
        double meanX = 0, meanY = 0;
        for (int i = 0; i < x.Length; i++)
        {
            meanX += x[i];
            meanY += y[i];
        }

        meanX /= x.Length;
        meanY /= x.Length;
        double covariance = 0, variance = 0;
        for (int i = 0; i < x.Length; i++)
        {
            covariance += (x[i] - meanX) * (y[i] - meanY);
            variance += (x[i] - meanX) * (x[i] - meanX);
        }

        double slope = covariance / variance;
        return (slope, meanY - (slope * meanX));
    }
}
