using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Data;

/// <summary>
/// A seeded, generated linear regression problem: features drawn with very different scales and
/// offsets (so that normalisation matters, as in real tabular data), <c>label = features . trueWeights
/// + trueBias + noise</c>.
/// </summary>
public sealed class SyntheticRegressionData
{
    private SyntheticRegressionData(RegressionRow[] rows, float[] trueWeights, float trueBias, float noiseStandardDeviation)
    {
        Rows = rows;
        TrueWeights = trueWeights;
        TrueBias = trueBias;
        NoiseStandardDeviation = noiseStandardDeviation;
    }

    /// <summary>The generated rows.</summary>
    public IReadOnlyList<RegressionRow> Rows { get; }

    /// <summary>The weights the labels were generated with, in the features' raw units.</summary>
    public IReadOnlyList<float> TrueWeights { get; }

    /// <summary>The intercept the labels were generated with.</summary>
    public float TrueBias { get; }

    /// <summary>The standard deviation of the Gaussian noise added to each label.</summary>
    public float NoiseStandardDeviation { get; }

    /// <summary>The number of features per row.</summary>
    public int FeatureCount => TrueWeights.Count;

    /// <summary>Generates <paramref name="rowCount"/> rows of <paramref name="featureCount"/> features from <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1, or the noise is negative.</exception>
    public static SyntheticRegressionData Generate(int rowCount, int featureCount, int seed, float noiseStandardDeviation = 0.5f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(noiseStandardDeviation);

        var generator = new Random(seed);
        var scales = new float[featureCount];
        var offsets = new float[featureCount];
        var weights = new float[featureCount];
        for (int j = 0; j < featureCount; j++)
        {
            scales[j] = MathF.Pow(10, (float)((generator.NextDouble() * 3) - 1)); // 0.1 to 100
            offsets[j] = (float)((generator.NextDouble() * 20) - 10);
            weights[j] = (float)((generator.NextDouble() * 4) - 2) / scales[j]; // each feature matters about equally
        }

        float bias = 3f;
        var rows = new RegressionRow[rowCount];
        for (int i = 0; i < rowCount; i++)
        {
            var features = new float[featureCount];
            double label = bias;
            for (int j = 0; j < featureCount; j++)
            {
                features[j] = offsets[j] + (scales[j] * Gaussian(generator));
                label += weights[j] * features[j];
            }

            label += noiseStandardDeviation * Gaussian(generator);
            rows[i] = new RegressionRow { Features = features, Label = (float)label };
        }

        return new SyntheticRegressionData(rows, weights, bias, noiseStandardDeviation);
    }

    /// <summary>The rows as an <see cref="IDataView"/> with a known-size <c>Features</c> vector and a <c>Label</c> column.</summary>
    public IDataView ToDataView(MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        SchemaDefinition schema = SchemaDefinition.Create(typeof(RegressionRow));
        schema[nameof(RegressionRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureCount);
        return mlContext.Data.LoadFromEnumerable(Rows, schema);
    }

    /// <summary>A standard normal draw (Box-Muller, one of the pair) from <paramref name="generator"/>.</summary>
    internal static float Gaussian(Random generator)
    {
        double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - generator.NextDouble()));
        return (float)(radius * Math.Cos(2.0 * Math.PI * generator.NextDouble()));
    }
}
