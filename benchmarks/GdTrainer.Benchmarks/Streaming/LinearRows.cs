using Microsoft.ML.Data;

namespace GdTrainer.Benchmarks.Streaming;

/// <summary>
/// The rows of the streaming benchmark, generated lazily and deterministically (SplitMix64, independent of the runtime's
/// <see cref="Random"/>): 20 features <c>x_j = (j - 10) + (1 + j / 4) z_j</c>, <c>z_j ~ N(0, 1)</c> (offsets and scales that the
/// trainer's standardisation has to undo), and the label <c>y = 2 + sum_j ((j - 9.5) / 10) x_j + 0.5 e</c>, <c>e ~ N(0, 1)</c>: a
/// known linear function whose best held-out RMSE is the noise's 0.5.
/// </summary>
public sealed class LinearRows
{
    /// <summary>The number of features of a row.</summary>
    public const int FeatureCount = 20;

    /// <summary>The standard deviation of the label noise: the RMSE of the true function.</summary>
    public const double NoiseStandardDeviation = 0.5;

    /// <summary>The features.</summary>
    [VectorType(FeatureCount)]
    public float[] Features { get; set; } = [];

    /// <summary>The label.</summary>
    public float Label { get; set; }

    /// <summary>
    /// <paramref name="count"/> rows drawn from <paramref name="seed"/> (train 42, test 43), one at a time: a writer that
    /// consumes them holds one row, whatever the count. The same row object is returned each time, refilled.
    /// </summary>
    public static IEnumerable<LinearRows> Generate(long count, ulong seed)
    {
        ulong state = seed;
        var row = new LinearRows { Features = new float[FeatureCount] };
        for (long i = 0; i < count; i++)
        {
            double y = 2;
            for (int j = 0; j < FeatureCount; j++)
            {
                double x = (j - 10) + ((1 + (j / 4.0)) * Gaussian(ref state));
                row.Features[j] = (float)x;
                y += (j - 9.5) / 10 * x;
            }

            row.Label = (float)(y + (NoiseStandardDeviation * Gaussian(ref state)));
            yield return row;
        }
    }

    /// <summary>An N(0, 1) draw (Box-Muller, one of the pair).</summary>
    private static double Gaussian(ref ulong state)
    {
        double u1 = 1.0 - Uniform(ref state); // (0, 1]
        double u2 = Uniform(ref state);
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
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
