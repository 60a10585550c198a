namespace GdTrainer.Samples.Commands;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>Seeded synthetic regression rows for the save/load and predict samples.</summary>
internal static class SampleData
{
    internal const int FeatureCount = 5;

    private static readonly float[] s_weights = [1.5f, -2f, 0.5f, 3f, -0.75f];

    internal sealed class Row
    {
        [VectorType(FeatureCount)]
        public float[] Features = [];

        public float Label;
    }

    /// <summary>Features ~ N(0, 1) (Box-Muller), label = x . w + 0.3 + N(0, 0.1^2).</summary>
    internal static Row[] Generate(int rows, int seed)
    {
        var random = new Random(seed);
        var result = new Row[rows];
        for (int i = 0; i < rows; i++)
        {
            var features = new float[FeatureCount];
            double label = 0.3;
            for (int j = 0; j < FeatureCount; j++)
            {
                features[j] = (float)Gaussian(random);
                label += s_weights[j] * features[j];
            }

            result[i] = new Row { Features = features, Label = (float)(label + (0.1 * Gaussian(random))) };
        }

        return result;
    }

    internal static IDataView ToDataView(MLContext mlContext, Row[] rows) => mlContext.Data.LoadFromEnumerable(rows);

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());
}
