namespace GdTrainer.Tests.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>Data sets generated in the tests (never read from ../shared) and metrics computed in double.</summary>
internal static class TrainingTestData
{
    /// <summary>
    /// Friedman #1: 10 features uniform in [0, 1), of which the last 5 are irrelevant;
    /// y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 + N(0, noise^2). Returns the noisy labels and the clean function.
    /// </summary>
    internal static (float[][] Features, float[] Labels, double[] Clean) Friedman1(int rows, int seed, double noise = 1.0)
    {
        var random = new Random(seed);
        var features = new float[rows][];
        var labels = new float[rows];
        var clean = new double[rows];
        for (int i = 0; i < rows; i++)
        {
            var x = new float[10];
            for (int j = 0; j < 10; j++)
            {
                x[j] = (float)random.NextDouble();
            }

            double f = (10 * Math.Sin(Math.PI * x[0] * x[1])) + (20 * (x[2] - 0.5) * (x[2] - 0.5)) + (10 * x[3]) + (5 * x[4]);
            features[i] = x;
            clean[i] = f;
            labels[i] = (float)(f + (noise * Gaussian(random)));
        }

        return (features, labels, clean);
    }

    /// <summary>A standard normal draw (Box-Muller).</summary>
    internal static double Gaussian(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());

    /// <summary>A data view with Label, Features (known-size vector) and Weight (unused unless asked for) columns.</summary>
    internal static IDataView View(MLContext mlContext, float[][] features, float[] labels) =>
        RegressionData.FromArrays(features, labels).ToDataView(mlContext);

    /// <summary>The Score column of a transformer's output.</summary>
    internal static float[] Scores(ITransformer model, IDataView data) =>
        model.Transform(data).GetColumn<float>("Score").ToArray();

    /// <summary>1 - SSE / SST, in double.</summary>
    internal static double RSquared(IReadOnlyList<float> labels, IReadOnlyList<float> predictions)
    {
        double mean = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            mean += labels[i];
        }

        mean /= labels.Count;
        double sse = 0, sst = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            sse += ((double)labels[i] - predictions[i]) * ((double)labels[i] - predictions[i]);
            sst += ((double)labels[i] - mean) * ((double)labels[i] - mean);
        }

        return 1 - (sse / sst);
    }

    /// <summary>sqrt(mean((prediction - truth)^2)), in double.</summary>
    internal static double Rmse(IReadOnlyList<float> predictions, IReadOnlyList<double> truth)
    {
        double sum = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            sum += (predictions[i] - truth[i]) * (predictions[i] - truth[i]);
        }

        return Math.Sqrt(sum / truth.Count);
    }
}
