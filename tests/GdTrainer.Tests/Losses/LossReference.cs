namespace GdTrainer.Tests.Losses;

/// <summary>
/// The losses' pointwise formulas written out in double from their textbook definitions (not from the
/// library's stable forms), and the weighted mean over a batch, as independent expectations.
/// </summary>
internal static class LossReference
{
    /// <summary>Pointwise loss l(p, y) and dl/dp.</summary>
    internal delegate (double Loss, double Gradient) Pointwise(double p, double y);

    internal static (double Loss, double Gradient) L1(double p, double y) => (Math.Abs(p - y), Math.Sign(p - y));

    internal static Pointwise Huber(double delta) => (p, y) =>
    {
        double r = p - y;
        return Math.Abs(r) < delta ? (r * r / 2, r) : ((delta * Math.Abs(r)) - (delta * delta / 2), delta * Math.Sign(r));
    };

    /// <summary>The Poisson negative log-likelihood of count y at rate exp(p), up to log(y!), or with PyTorch's Stirling term.</summary>
    internal static Pointwise Poisson(bool full) => (p, y) =>
    {
        double rate = Math.Exp(p);
        double loss = rate - (y * p);
        if (full && y > 1)
        {
            loss += (y * Math.Log(y)) - y + (0.5 * Math.Log(2 * Math.PI * y));
        }

        return (loss, rate - y);
    };

    /// <summary>-[w y log s + (1 - y) log(1 - s)] with s = sigmoid(x), for moderate logits only.</summary>
    internal static Pointwise BinaryCrossEntropy(double positiveWeight) => (x, y) =>
    {
        double s = 1 / (1 + Math.Exp(-x));
        double loss = -((positiveWeight * y * Math.Log(s)) + ((1 - y) * Math.Log(1 - s)));
        double gradient = -((positiveWeight * y * (1 - s)) - ((1 - y) * s));
        return (loss, gradient);
    };

    internal static (double Loss, double Gradient) Squared(double p, double y) => ((p - y) * (p - y), 2 * (p - y));

    /// <summary>
    /// The weighted mean over examples (rows) of the mean over each row's k values, and its gradient with
    /// respect to every prediction: sum_i w_i sum_j l_ij / (k sum_i w_i).
    /// </summary>
    internal static (double Loss, double[] Gradient) WeightedMean(Pointwise pointwise, double[] p, double[] y, double[]? rowWeights, int columns)
    {
        int rows = p.Length / columns;
        double total = 0;
        for (int i = 0; i < rows; i++)
        {
            total += rowWeights?[i] ?? 1.0;
        }

        double denominator = total * columns;
        double loss = 0;
        var gradient = new double[p.Length];
        for (int e = 0; e < p.Length; e++)
        {
            double w = rowWeights?[e / columns] ?? 1.0;
            (double l, double g) = pointwise(p[e], y[e]);
            loss += w * l / denominator;
            gradient[e] = w * g / denominator;
        }

        return (loss, gradient);
    }

    internal static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);
}
