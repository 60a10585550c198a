namespace GdTrainer.Tests.Samples;

using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Convergence;
using GdTrainer.Tests.MLNet;
using Microsoft.ML;

public sealed class ConvergenceCommandTests
{
    [Fact]
    public void TheReferenceFitIsTheLeastSquaresOptimumAlsoForCollinearOneHotColumns()
    {
        // Two one-hot columns that sum to 1 (collinear with the intercept) and a numeric feature.
        var random = new Random(3);
        var features = new float[300][];
        var labels = new float[300];
        for (int i = 0; i < features.Length; i++)
        {
            bool first = random.NextDouble() < 0.4;
            float x = (float)random.NextDouble();
            features[i] = [first ? 1f : 0f, first ? 0f : 1f, x];
            labels[i] = (first ? 2f : -1f) + (3f * x) + (float)(0.1 * (random.NextDouble() - 0.5));
        }

        var data = RegressionData.FromArrays(features, labels);
        var mlContext = new MLContext(seed: 0);
        LeastSquaresReference reference = LeastSquaresReference.Fit(data.ToDataView(mlContext));

        // Independent: the same problem without the redundant column has a unique solution.
        (double[] weights, double bias) = LeastSquares.Solve(features.Select(row => new[] { row[0], row[2] }).ToArray(), labels);
        for (int i = 0; i < features.Length; i++)
        {
            double expected = bias + (weights[0] * features[i][0]) + (weights[1] * features[i][2]);
            double actual = reference.Bias + (reference.Weights[0] * features[i][0]) + (reference.Weights[1] * features[i][1]) + (reference.Weights[2] * features[i][2]);
            Assert.Equal(expected, actual, 1e-6);
        }

        (double mse, double r2) = reference.Evaluate(data.ToDataView(mlContext));
        Assert.True(mse < 0.01 && r2 > 0.99, $"MSE {mse}, R² {r2}");
    }

    [Fact]
    public void MissingDataSetsAreReportedAndTheCommandFails()
    {
        string empty = Directory.CreateTempSubdirectory("gdtrainer-convergence-").FullName;
        try
        {
            var output = new StringWriter();
            int exit = ConvergenceCommand.Run(CommandLineOptions.Parse(["convergence", "--data-dir", empty], "seed"), output);
            Assert.Equal(1, exit);
            Assert.Contains("housing.txt | (absent:", output.ToString(), StringComparison.Ordinal);
            Assert.Contains("None of the data sets was found", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }
}
