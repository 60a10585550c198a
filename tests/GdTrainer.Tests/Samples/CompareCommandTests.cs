using System.Globalization;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Compare;

namespace GdTrainer.Tests.Samples;

public sealed class CompareCommandTests
{
    [Fact]
    public void ComparesBothTrainersOnGeneratedDataAndWritesTheLossCurve()
    {
        string plot = Path.Combine(Path.GetTempPath(), $"gdtrainer-compare-{Guid.NewGuid():N}.png");
        var output = new StringWriter();
        try
        {
            int exitCode = CompareCommand.Run(
                CommandLineOptions.Parse(["compare", "--rows", "3000", "--features", "4", "--epochs", "5", "--plot", plot], "seed"), output);

            Assert.Equal(0, exitCode);
            string text = output.ToString();
            Assert.Contains("3000 rows x 4 features", text, StringComparison.Ordinal);
            (double sdca, double ours) = (RmseOf(text, "ML.NET Sdca"), RmseOf(text, "GdTrainer GradientDescent"));

            // Noise sd is 0.5, so both must be near 0.5 on held-out rows, and ours close to SDCA's.
            Assert.InRange(sdca, 0.4, 0.6);
            Assert.InRange(ours, 0.4, 0.6);
            Assert.InRange(ours / sdca, 0.95, 1.05);
            Assert.True(new FileInfo(plot).Length > 1000);
        }
        finally
        {
            File.Delete(plot);
        }
    }

    [Fact]
    public void ReadsANumericCsvWithTheLabelNamed()
    {
        string csv = Path.Combine(Path.GetTempPath(), $"gdtrainer-compare-{Guid.NewGuid():N}.csv");
        string plot = Path.ChangeExtension(csv, ".png");
        var generator = new Random(3);
        var lines = new List<string> { "target;a;b" };
        for (int i = 0; i < 2000; i++)
        {
            double a = generator.NextDouble() * 10, b = generator.NextDouble() - 0.5;
            double target = (2 * a) - (3 * b) + 1 + ((generator.NextDouble() - 0.5) * 0.1);
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{target};{a};{b}"));
        }

        File.WriteAllLines(csv, lines);
        var output = new StringWriter();
        try
        {
            int exitCode = CompareCommand.Run(
                CommandLineOptions.Parse(["compare", "--data", csv, "--label", "target", "--epochs", "20", "--batch-size", "32", "--plot", plot], "seed"), output);

            Assert.Equal(0, exitCode);
            string text = output.ToString();
            Assert.Contains("2 numeric features, label 'target'", text, StringComparison.Ordinal);

            // Uniform noise of width 0.1 has sd 0.029; a fitted line leaves about that.
            Assert.InRange(RmseOf(text, "GdTrainer GradientDescent"), 0.0, 0.06);
        }
        finally
        {
            File.Delete(csv);
            File.Delete(plot);
        }
    }

    [Fact]
    public void AMissingLabelColumnIsNamedWithTheColumnsThereAre()
    {
        string csv = Path.Combine(Path.GetTempPath(), $"gdtrainer-compare-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(csv, ["x,y", "1,2", "2,4"]);
        try
        {
            var error = Assert.Throws<InvalidDataException>(
                () => CompareCommand.Run(CommandLineOptions.Parse(["compare", "--data", csv, "--label", "price"], "seed"), TextWriter.Null));
            Assert.Contains("'price' is not in the header", error.Message, StringComparison.Ordinal);
            Assert.Contains("x, y", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(csv);
        }
    }

    private static double RmseOf(string table, string trainer)
    {
        string row = table.Split('\n').Single(line => line.StartsWith("| " + trainer, StringComparison.Ordinal));
        return double.Parse(row.Split('|', StringSplitOptions.TrimEntries)[2], CultureInfo.InvariantCulture);
    }
}
