namespace GdTrainer.Tests.MLNet;

/// <summary>A small nonlinear problem for training tests: y = sin(2 x1) + x2^2 - x3, x ~ U(-1, 1), no noise (label variance ~0.9).</summary>
internal static class SmallProblem
{
    internal static (float[][] X, float[] Y) Generate(int rows, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows][];
        var y = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            x[i] = [(float)((2 * random.NextDouble()) - 1), (float)((2 * random.NextDouble()) - 1), (float)((2 * random.NextDouble()) - 1)];
            y[i] = (float)(Math.Sin(2 * x[i][0]) + (x[i][1] * x[i][1]) - x[i][2]);
        }

        return (x, y);
    }

    /// <summary>The variance of the labels (the mean squared error of predicting their mean), in double.</summary>
    internal static double Variance(float[] y)
    {
        double mean = y.Average(v => (double)v);
        return y.Average(v => (v - mean) * (v - mean));
    }
}
