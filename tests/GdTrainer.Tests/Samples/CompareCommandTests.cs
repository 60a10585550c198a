using System.Globalization;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Compare;

namespace GdTrainer.Tests.Samples;

public sealed class CompareCommandTests
{
    [Fact]
    public void ComparesTheFourTrainersOnGeneratedDataAndWritesTheLossCurves()
    {
        string plot = Path.Combine(Path.GetTempPath(), $"gdtrainer-compare-{Guid.NewGuid():N}.png");
        var output = new StringWriter();
        try
        {
            int exitCode = CompareCommand.Run(
                CommandLineOptions.Parse(["compare", "--rows", "3000", "--features", "4", "--epochs", "5", "--mlp-epochs", "30", "--warm-fit", "false", "--plot", plot], "seed"), output);

            Assert.Equal(0, exitCode);
            string text = output.ToString();
            Assert.Contains("3000 rows x 4 features (seed 42, noise sd 0.5)", text, StringComparison.Ordinal);
            (double sdca, double ours) = (RmseOf(text, "ML.NET Sdca"), RmseOf(text, "GdTrainer linear"));

            // The labels are linear plus noise of sd 0.5, so the true function's held-out RMSE is 0.5 give or take 0.015 (the
            // sampling error over ~600 test rows): a fitted model can come close to it but not go far below.
            const double Noise = 0.5;
            Assert.InRange(sdca, 0.9 * Noise, 1.1 * Noise);
            Assert.InRange(ours, 0.9 * Noise, 1.1 * Noise);
            Assert.InRange(ours / sdca, 0.95, 1.05);

            // The MLP can represent the linear function, so it must also come within 10% of the noise level and of our linear
            // model (the labels' sd is ~2.3: a merely "better than the mean" fit fails this). Boosted trees approximate a plane by
            // steps, so they may stay further from it.
            double mlp = RmseOf(text, "GdTrainer MLP [64, 64]");
            Assert.InRange(mlp, 0.9 * Noise, 1.1 * Noise);
            Assert.InRange(mlp / ours, 0.9, 1.1);
            Assert.InRange(RmseOf(text, "ML.NET FastTree"), 0.9 * Noise, 1.5 * Noise);
            string mlpRow = RowOf(text, "GdTrainer MLP");
            Assert.Matches(@"\| +\d+ \| (reached the epoch limit \(30\)|converged at epoch \d+|early-stopped at epoch \d+)", mlpRow);
            Assert.True(new FileInfo(plot).Length > 1000);
        }
        finally
        {
            File.Delete(plot);
        }
    }

    [Fact]
    public void OnFriedmanDataTheMlpBeatsTheLinearModelsAndRepeatsAverageOverSeeds()
    {
        string plot = Path.Combine(Path.GetTempPath(), $"gdtrainer-compare-{Guid.NewGuid():N}.png");
        var output = new StringWriter();
        try
        {
            int exitCode = CompareCommand.Run(
                CommandLineOptions.Parse(
                    ["compare", "--data", "friedman", "--rows", "2500", "--repeat", "2", "--trainers", "linear,mlp", "--mlp-epochs", "60", "--warm-fit", "false", "--plot", plot],
                    "seed"),
                output);

            Assert.Equal(0, exitCode);
            string text = output.ToString();
            Assert.Contains("Friedman #1, 2500 rows x 10 uniform features", text, StringComparison.Ordinal);
            Assert.DoesNotContain("ML.NET Sdca", text, StringComparison.Ordinal);
            Assert.Contains("mean over 2 split seeds (42 to 43)", text, StringComparison.Ordinal);

            // The best linear fit of Friedman #1 explains ~75% of the variance (the product and the square are out of its reach);
            // even a short MLP run on 2,000 rows goes well past it.
            string[] linear = RowsOf(text, "GdTrainer linear");
            string[] mlp = RowsOf(text, "GdTrainer MLP");
            Assert.Equal(3, linear.Length); // two seeds and the mean
            Assert.Equal(3, mlp.Length);
            double linearMean = Cell(linear[2], 3), mlpMean = Cell(mlp[2], 3);
            Assert.InRange(linearMean, 0.65, 0.80);
            Assert.InRange(mlpMean, linearMean + 0.08, 1.0);
            Assert.Equal((Cell(mlp[0], 3) + Cell(mlp[1], 3)) / 2, mlpMean, 3);
            Assert.True(new FileInfo(plot).Length > 1000);
        }
        finally
        {
            File.Delete(plot);
        }
    }

    [Fact]
    public void ANamedRealDataSetOutsideTheDataFolderSaysWhereItLookedAndWhatToDo()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"gdtrainer-no-data-{Guid.NewGuid():N}");
        var error = Assert.Throws<FileNotFoundException>(
            () => CompareCommand.Run(CommandLineOptions.Parse(["compare", "--data", "housing", "--data-dir", missing], "seed"), TextWriter.Null));
        Assert.Contains("housing.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains($"the folder '{missing}' does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("--data-dir", error.Message, StringComparison.Ordinal);
        Assert.Contains("--data friedman", error.Message, StringComparison.Ordinal);
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
                CommandLineOptions.Parse(["compare", "--data", csv, "--label", "target", "--epochs", "20", "--batch-size", "32", "--trainers", "linear", "--warm-fit", "false", "--plot", plot], "seed"), output);

            Assert.Equal(0, exitCode);
            string text = output.ToString();
            Assert.Contains("2 numeric features, label 'target'", text, StringComparison.Ordinal);

            // Uniform noise of width 0.1 has sd 0.029; a fitted line leaves about that.
            Assert.InRange(RmseOf(text, "GdTrainer linear"), 0.0, 0.06);
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

    private static double RmseOf(string table, string trainer) => Cell(RowOf(table, trainer), 1);

    private static string RowOf(string table, string trainer) => RowsOf(table, trainer).Single();

    private static string[] RowsOf(string table, string trainer) =>
        [.. table.Split('\n').Where(line => line.StartsWith("| " + trainer, StringComparison.Ordinal))];

    /// <summary>The number in the table row's column (0: the trainer, 1: RMSE, 2: MAE, 3: R²).</summary>
    private static double Cell(string row, int column) =>
        double.Parse(row.Split('|', StringSplitOptions.TrimEntries)[column + 1], CultureInfo.InvariantCulture);
}
