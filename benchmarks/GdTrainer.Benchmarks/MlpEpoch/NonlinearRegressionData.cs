namespace GdTrainer.Benchmarks.MlpEpoch;

/// <summary>
/// The nonlinear 1M x 20 regression set of issue #9's MLP epoch benchmark, generated deterministically
/// (SplitMix64, so the rows do not depend on the runtime's <see cref="Random"/>): 20 features drawn
/// independently from N(0, 1) (already standardised, as the trainer would make them), and
/// <code>
/// y = sin(2 x0) + x1 x2 + tanh(x3 + x4) + 0.5 cos(x5) x6 + 0.25 x7^2 + sum_{j=8..19} c_j x_j + 0.1 e,
/// c_j = (j - 13.5) / 30,   e ~ N(0, 1)
/// </code>
/// so the best possible RMSE is the noise's 0.1. The file is shared, as source, by the engine's benchmark and
/// the TorchSharp anchor (benchmarks/GdTrainer.TorchSharpAnchor), so both train on the same rows.
/// </summary>
public sealed class NonlinearRegressionData
{
    /// <summary>The number of features of a row.</summary>
    public const int FeatureCount = 20;

    /// <summary>The standard deviation of the label noise: the RMSE of the true function.</summary>
    public const float NoiseStandardDeviation = 0.1f;

    private NonlinearRegressionData(float[] features, float[] labels)
    {
        Features = features;
        Labels = labels;
    }

    /// <summary>The features, row-major <c>[rows, 20]</c>.</summary>
    public float[] Features { get; }

    /// <summary>The labels, <c>[rows]</c>.</summary>
    public float[] Labels { get; }

    /// <summary>The number of rows.</summary>
    public int RowCount => Labels.Length;

    /// <summary>Generates <paramref name="rowCount"/> rows from <paramref name="seed"/>; different seeds give independent sets (train: 42, test: 43).</summary>
    public static NonlinearRegressionData Generate(int rowCount, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowCount, 1);
        var features = new float[rowCount * FeatureCount];
        var labels = new float[rowCount];
        ulong state = seed;
        Span<double> x = stackalloc double[FeatureCount];
        for (int i = 0; i < rowCount; i++)
        {
            for (int j = 0; j < FeatureCount; j += 2)
            {
                (x[j], x[j + 1]) = GaussianPair(ref state);
            }

            double y = Math.Sin(2 * x[0]) + (x[1] * x[2]) + Math.Tanh(x[3] + x[4]) + (0.5 * Math.Cos(x[5]) * x[6]) + (0.25 * x[7] * x[7]);
            for (int j = 8; j < FeatureCount; j++)
            {
                y += (j - 13.5) / 30 * x[j];
            }

            y += NoiseStandardDeviation * GaussianPair(ref state).First;
            for (int j = 0; j < FeatureCount; j++)
            {
                features[(i * FeatureCount) + j] = (float)x[j];
            }

            labels[i] = (float)y;
        }

        return new NonlinearRegressionData(features, labels);
    }

    /// <summary>Two independent N(0, 1) draws (Box-Muller).</summary>
    private static (double First, double Second) GaussianPair(ref ulong state)
    {
        double u1 = 1.0 - Uniform(ref state); // (0, 1]
        double u2 = Uniform(ref state);
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        (double sin, double cos) = Math.SinCos(2.0 * Math.PI * u2);
        return (radius * cos, radius * sin);
    }

    /// <summary>A uniform double in [0, 1) from SplitMix64.</summary>
    private static double Uniform(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
