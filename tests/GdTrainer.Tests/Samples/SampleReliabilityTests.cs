using GdTrainer.MLNet;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Data;
using GdTrainer.Samples.Persistence;
using GdTrainer.Samples.Seed;
using GdTrainer.Tests.MLNet;
using Microsoft.ML;

namespace GdTrainer.Tests.Samples;

/// <summary>
/// The samples fail loudly and leave nothing behind (issue 11, item 7): a diverging seed run is an error with exit
/// code 1, <c>--help</c> anywhere prints the usage, huge <c>--points</c> are refused, and <c>save-load</c> fits well and
/// writes to the temporary directory. Exit codes are checked on the real program in a separate process.
/// </summary>
public sealed class SampleReliabilityTests
{
    [Theory]
    [InlineData(10f)]
    [InlineData(1.5f)]
    public void ADivergingSeedRunIsAnErrorNamingTheIterationAndSuggestingASmallerRate(float learningRate)
    {
        var log = new StringWriter();
        var error = Assert.Throws<InvalidOperationException>(() =>
            SeedRegression.Train(new SeedRegressionOptions { LearningRate = learningRate }, log));

        Assert.Contains("diverged at iteration", error.Message, StringComparison.Ordinal);
        Assert.Contains(FormattableString.Invariant($"learning rate {learningRate}"), error.Message, StringComparison.Ordinal);
        Assert.Contains("smaller --learning-rate", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", log.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--help" }, "help")]
    [InlineData(new[] { "-h" }, "help")]
    [InlineData(new[] { "help" }, "help")]
    [InlineData(new[] { "seed", "--iterations", "5", "--help" }, "help")]
    [InlineData(new[] { "seed", "--iterations", "5", "help" }, "help")]
    [InlineData(new[] { "compare", "--label", "help" }, "compare")] // A value, such as a column named help, stays a value.
    public void HelpAnywhereSelectsTheHelpCommand(string[] args, string command) =>
        Assert.Equal(command, CommandLineOptions.Parse(args, SeedCommand.Name).Command);

    [Fact]
    public void PointsAboveTheLimitAreRefusedNamingTheLimit()
    {
        var error = Assert.Throws<CommandLineException>(() =>
            SeedCommand.Run(CommandLineOptions.Parse(["seed", "--points", "100000000"], SeedCommand.Name), TextWriter.Null));
        Assert.Contains("--points must be at most 1,000,000, but was '100000000'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveLoadFitsTheLeastSquaresSolutionAndScoresIdenticallyAfterLoading()
    {
        string path = Path.Combine(Path.GetTempPath(), $"gdtrainer-saveload-{Guid.NewGuid():N}.zip");
        var output = new StringWriter();
        try
        {
            int exitCode = SaveLoadCommand.Run(CommandLineOptions.Parse(["save-load", "--model", path, "--seed", "3"], SeedCommand.Name), output);

            Assert.Equal(0, exitCode);
            Assert.Contains("the loaded model scores exactly like the trained one", output.ToString(), StringComparison.Ordinal);

            // The saved model against the closed-form least-squares fit of the same generated rows, in double.
            var generated = SyntheticRegressionData.Generate(2000, 5, 3, noiseStandardDeviation: 0.1f);
            (double[] weights, double bias) = LeastSquares.Solve(
                generated.Rows.Select(r => r.Features).ToArray(), generated.Rows.Select(r => r.Label).ToArray());
            var loaded = Assert.IsType<GradientDescentRegressionTransformer>(GradientDescentModel.Load(new MLContext(), path, out _));
            double largest = weights.Max(Math.Abs);
            for (int j = 0; j < weights.Length; j++)
            {
                Assert.True(Math.Abs(loaded.Weights[j] - weights[j]) <= 1e-3 * largest, $"weight {j}: {loaded.Weights[j]} against {weights[j]}");
            }

            Assert.Equal(bias, loaded.Bias, 0.05);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SaveLoadWritesToTheTemporaryDirectoryByDefault()
    {
        var output = new StringWriter();
        int exitCode = SaveLoadCommand.Run(CommandLineOptions.Parse(["save-load", "--rows", "200"], SeedCommand.Name), output);

        // The file stays where a later `predict --model` can find it; the temp directory is meant for such files,
        // and deleting it here could break a concurrent run of this test.
        Assert.Equal(0, exitCode);
        string expected = Path.Combine(Path.GetTempPath(), "gdtrainer-model.zip");
        Assert.Equal(expected, SaveLoadCommand.DefaultModelPath);
        Assert.Contains($"saved to {expected}", output.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(expected));
    }

    [Fact]
    public async Task TheProgramExitsWith1OnDivergence0OnHelpAnd2OnTooManyPoints()
    {
        (int code, string stdout, string stderr) = await SamplesProcess.RunSamplesAsync("seed", "--learning-rate", "10", "--plot", Path.Combine(Path.GetTempPath(), $"gdtrainer-{Guid.NewGuid():N}.png"));
        Assert.True(code == 1, $"exit code {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.Contains("error: Gradient descent diverged", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("w = NaN", stdout, StringComparison.Ordinal);

        (code, stdout, stderr) = await SamplesProcess.RunSamplesAsync("--help");
        Assert.True(code == 0, $"exit code {code}; stderr: {stderr}");
        Assert.StartsWith("usage:", stdout, StringComparison.Ordinal);
        Assert.Equal(string.Empty, stderr);

        (code, _, stderr) = await SamplesProcess.RunSamplesAsync("seed", "--points", "100000000");
        Assert.Equal(2, code);
        Assert.Contains("at most 1,000,000", stderr, StringComparison.Ordinal);
    }
}
