namespace GdTrainer.Tests.MLNet;

using CsCheck;
using GdTrainer.MLNet;
using Microsoft.ML;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// Property-based test (CsCheck generators) of the trainer on a convex problem: for generated linear-regression data
/// (100 to 300 rows, 1 to 4 features), ANY order of the rows in the IDataView and ANY batch size reach the same
/// optimum, the closed-form least-squares solution computed in double by <see cref="LeastSquares.Solve"/>, with the
/// default options. The cases come from a fixed PCG seed, so a run is deterministic; a failure prints the case.
/// </summary>
public sealed class TrainerPropertyTests
{
    /// <summary>
    /// 25 cases: the fits dominate the runtime (~0.4 s for all 25 on a 2-core machine, Debug build). Small batches are
    /// the slow ones (one step per row or per few rows), which is why rows are bounded by 300 and the adaptive schedule
    /// (the default) bounds the epochs: it grows a small batch tenfold at each plateau, so even batch size 1 ends on
    /// (near) full batches after a few dozen epochs. The batch size is drawn, with equal chances, as exactly 1 (the
    /// extreme, which a uniform draw over [1, rows] would almost never hit), from [2, 32] and from [1, rows]; the 25
    /// cases hold 4 runs of batch size 1 (98 to 117 epochs each).
    /// </summary>
    private const int Cases = 25;

    /// <summary>
    /// 1e-3 relative on every weight and on the bias. The true weights are at least 0.5 in magnitude and the label
    /// noise is 0.5 on unit-variance features, so the least-squares weights are far from 0 and a relative tolerance is
    /// meaningful; the trainer's convergence tests reach 1e-4 on fixed data with batch sizes of 100 and more, and
    /// batch size 1 stops (converged by the loss-based rule) a little further from the optimum. Measured: the worst relative error over the 25 cases is
    /// 4.8e-4 (batch size 1 on 201 rows, 3 features); full-ish batches reach ~1e-7, batch sizes 2 to 32 up to ~3e-5.
    /// </summary>
    private const double Relative = 1e-3;

    private static readonly Gen<(int Rows, int Features, int DataSeed, int Batch, int[] Order)> Case =
        from rows in Gen.Int[100, 300]
        from features in Gen.Int[1, 4]
        from dataSeed in Gen.Int[0, 1_000_000]
        from batch in Gen.OneOf(Gen.Const(1), Gen.Int[2, 32], Gen.Int[1, rows])
        from order in Gen.Shuffle(Enumerable.Range(0, rows).ToArray())
        select (rows, features, dataSeed, batch, order);

    [Fact]
    public void AnyRowOrderAndBatchSizeReachTheLeastSquaresSolution()
    {
        var pcg = new PCG(1, 53);
        for (int i = 0; i < Cases; i++)
        {
            var c = Case.Generate(pcg, null, out _);
            string name = $"Case {i}: {c.Rows} rows, {c.Features} features, data seed {c.DataSeed}, batch size {c.Batch}";

            var random = new Random(c.DataSeed);
            var truth = new float[c.Features];
            for (int j = 0; j < truth.Length; j++)
            {
                truth[j] = (float)((random.Next(2) == 0 ? -1 : 1) * (0.5 + (2.5 * random.NextDouble())));
            }

            RegressionData data = RegressionData.Generate(c.Rows, truth, 1.5f, 0.5f, c.DataSeed);
            (double[] weights, double bias) = LeastSquares.Solve(data.Features, data.Labels);

            var features = new float[c.Rows][];
            var labels = new float[c.Rows];
            for (int r = 0; r < c.Rows; r++)
            {
                features[r] = data.Features[c.Order[r]];
                labels[r] = data.Labels[c.Order[r]];
            }

            var mlContext = new MLContext(seed: 0);
            var model = mlContext.Regression.Trainers.GradientDescent(new Options { BatchSize = c.Batch })
                .Fit(RegressionData.FromArrays(features, labels).ToDataView(mlContext));

            for (int j = 0; j < weights.Length; j++)
            {
                AssertRelativelyClose(weights[j], model.Weights[j], $"{name}: weight {j}");
            }

            AssertRelativelyClose(bias, model.Bias, $"{name}: bias");
        }
    }

    private static void AssertRelativelyClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= Relative * Math.Abs(expected), $"{what}: {actual} differs from the closed form {expected} by more than {Relative:G2} relative");
}
