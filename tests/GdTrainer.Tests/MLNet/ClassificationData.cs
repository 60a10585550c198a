namespace GdTrainer.Tests.MLNet;

using GdTrainer.Models;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>Seeded synthetic classification data and an independent double-precision forward pass over a model's dense layers.</summary>
internal static class ClassificationData
{
    internal const int FeatureCount = 4;

    internal const int Features = FeatureCount;

    /// <summary>Binary rows: x ~ N(0, 1), P(true) = <see cref="BinaryTrueProbability"/>(x).</summary>
    internal static IDataView Binary(MLContext mlContext, int rows, int seed, bool? constantLabel = null)
    {
        var random = new Random(seed);
        var list = new List<BinaryRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            float[] x = Gaussians(random, Features);
            list.Add(new BinaryRow { Features = x, Label = constantLabel ?? random.NextDouble() < BinaryTrueProbability(x) });
        }

        return mlContext.Data.LoadFromEnumerable(list);
    }

    /// <summary>The model that draws the labels of <see cref="Binary"/>: P(true | x) = sigmoid(2 x0 - x1 + 0.5 x2 + 0.3).</summary>
    internal static double BinaryTrueProbability(float[] x) => 1 / (1 + Math.Exp(-((2 * x[0]) - x[1] + (0.5 * x[2]) + 0.3)));

    /// <summary>Multiclass rows: three Gaussian blobs labelled "red", "green", "blue" (text; map with MapValueToKey).</summary>
    internal static IDataView Multiclass(MLContext mlContext, int rows, int seed, string[]? names = null)
    {
        names ??= ["red", "green", "blue"];
        var random = new Random(seed);
        var list = new List<TextLabelRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            int c = random.Next(names.Length);
            float[] x = Gaussians(random, Features);
            x[c % Features] += 2.0f;
            list.Add(new TextLabelRow { Features = x, Label = names[c] });
        }

        return mlContext.Data.LoadFromEnumerable(list);
    }

    /// <summary>The network's outputs for one row, computed in double from <see cref="Models.DenseLayer"/> weights (ReLU/Tanh/Sigmoid only).</summary>
    internal static double[] Forward(IReadOnlyList<DenseLayer> layers, float[] features)
    {
        double[] values = [.. features.Select(v => (double)v)];
        foreach (DenseLayer layer in layers)
        {
            ReadOnlySpan<float> w = layer.Weights.Span;
            ReadOnlySpan<float> b = layer.Bias.Span;
            var next = new double[layer.Outputs];
            for (int o = 0; o < layer.Outputs; o++)
            {
                double sum = b[o];
                for (int i = 0; i < layer.Inputs; i++)
                {
                    sum += values[i] * w[(i * layer.Outputs) + o];
                }

                next[o] = layer.Activation switch
                {
                    null => sum,
                    Activation.Relu => Math.Max(sum, 0),
                    Activation.Tanh => Math.Tanh(sum),
                    Activation.Sigmoid => 1 / (1 + Math.Exp(-sum)),
                    _ => throw new NotSupportedException(layer.Activation.ToString()),
                };
            }

            values = next;
        }

        return values;
    }

    internal static float[] Gaussians(Random random, int count)
    {
        var x = new float[count];
        for (int j = 0; j < count; j++)
        {
            x[j] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return x;
    }

    internal sealed class BinaryRow
    {
        [VectorType(FeatureCount)]
        public float[] Features = [];

        public bool Label;
    }

    internal sealed class TextLabelRow
    {
        [VectorType(FeatureCount)]
        public float[] Features = [];

        public string Label = string.Empty;
    }

    internal sealed class FeaturesOnly
    {
        [VectorType(FeatureCount)]
        public float[] Features = [];
    }

#pragma warning disable CS0649 // Set by ML.NET through reflection.
    internal sealed class BinaryPrediction
    {
        public bool PredictedLabel;

        public float Score;

        public float Probability;
    }
}
