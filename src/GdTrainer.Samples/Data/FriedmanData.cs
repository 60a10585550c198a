using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Data;

/// <summary>
/// Friedman's first regression problem (Friedman 1991, "Multivariate adaptive regression splines"; scikit-learn's
/// <c>make_friedman1</c>): ten features drawn uniformly from [0, 1], of which only the first five matter,
/// <c>y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 + noise</c>. The product and the square make it nonlinear:
/// the best linear model explains about 75% of the variance, a good nonlinear one about 96% (the noise's share is ~4%).
/// </summary>
public static class FriedmanData
{
    /// <summary>The number of features per row (the first five used by the function, the last five irrelevant).</summary>
    public const int FeatureCount = 10;

    /// <summary>Generates <paramref name="rowCount"/> rows from <paramref name="seed"/>.</summary>
    /// <param name="rowCount">The number of rows; at least 1.</param>
    /// <param name="seed">The seed of the features and the noise.</param>
    /// <param name="noiseStandardDeviation">The standard deviation of the Gaussian noise added to each label; &gt;= 0. Default: 1 (the problem's usual setting).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rowCount"/> is below 1, or the noise is negative.</exception>
    public static RegressionRow[] Generate(int rowCount, int seed, float noiseStandardDeviation = 1f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(noiseStandardDeviation);
        var generator = new Random(seed);
        var rows = new RegressionRow[rowCount];
        for (int i = 0; i < rowCount; i++)
        {
            var x = new float[FeatureCount];
            for (int j = 0; j < FeatureCount; j++)
            {
                x[j] = (float)generator.NextDouble();
            }

            double label = Function(x) + (noiseStandardDeviation * Gaussian(generator));
            rows[i] = new RegressionRow { Features = x, Label = (float)label };
        }

        return rows;
    }

    /// <summary>The noiseless function of the first five features of <paramref name="x"/>.</summary>
    public static double Function(ReadOnlySpan<float> x) =>
        (10 * Math.Sin(Math.PI * x[0] * x[1])) + (20 * (x[2] - 0.5) * (x[2] - 0.5)) + (10 * x[3]) + (5 * x[4]);

    /// <summary>The rows as an <see cref="IDataView"/> with a 10-slot <c>Features</c> vector and a <c>Label</c> column.</summary>
    public static IDataView ToDataView(MLContext mlContext, IReadOnlyList<RegressionRow> rows)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        SchemaDefinition schema = SchemaDefinition.Create(typeof(RegressionRow));
        schema[nameof(RegressionRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureCount);
        return mlContext.Data.LoadFromEnumerable(rows, schema);
    }

    private static double Gaussian(Random generator)
    {
        double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - generator.NextDouble()));
        return radius * Math.Cos(2.0 * Math.PI * generator.NextDouble());
    }
}
