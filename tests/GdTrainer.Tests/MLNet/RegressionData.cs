namespace GdTrainer.Tests.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>Seeded synthetic regression data: features ~ N(0, 1), label = X w + b + noise, optional positive weights.</summary>
internal sealed class RegressionData
{
    private RegressionData(float[][] features, float[] labels, float[] weights)
    {
        Features = features;
        Labels = labels;
        Weights = weights;
    }

    internal float[][] Features { get; }

    internal float[] Labels { get; }

    internal float[] Weights { get; }

    internal int Rows => Labels.Length;

    internal int FeatureCount => Features[0].Length;

    internal static RegressionData Generate(int rows, float[] trueWeights, float trueBias, float noise, int seed)
    {
        var random = new Random(seed);
        int d = trueWeights.Length;
        var features = new float[rows][];
        var labels = new float[rows];
        var weights = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            features[i] = new float[d];
            double label = trueBias;
            for (int j = 0; j < d; j++)
            {
                features[i][j] = (float)Gaussian(random);
                label += trueWeights[j] * features[i][j];
            }

            labels[i] = (float)(label + (noise * Gaussian(random)));
            weights[i] = (float)(0.2 + (2 * random.NextDouble()));
        }

        return new RegressionData(features, labels, weights);
    }

    internal static RegressionData FromArrays(float[][] features, float[] labels, float[]? weights = null) =>
        new(features, labels, weights ?? Enumerable.Repeat(1f, labels.Length).ToArray());

    internal IDataView ToDataView(MLContext mlContext)
    {
        var rows = new List<Row>(Rows);
        for (int i = 0; i < Rows; i++)
        {
            rows.Add(new Row { Label = Labels[i], Features = Features[i], Weight = Weights[i] });
        }

        SchemaDefinition definition = SchemaDefinition.Create(typeof(Row));
        definition[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureCount);
        return mlContext.Data.LoadFromEnumerable(rows, definition);
    }

    /// <summary>x · w + b in double, independently of the library's scoring code.</summary>
    internal static double Predict(float[] x, IReadOnlyList<float> weights, float bias)
    {
        double sum = bias;
        for (int j = 0; j < x.Length; j++)
        {
            sum += (double)x[j] * weights[j];
        }

        return sum;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());

    internal sealed class Row
    {
        public float Label;

        public float[] Features = [];

        public float Weight;
    }
}
