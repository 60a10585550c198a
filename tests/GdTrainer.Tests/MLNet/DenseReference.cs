namespace GdTrainer.Tests.MLNet;

using GdTrainer.Models;

/// <summary>
/// Scores a fitted model's <see cref="DenseLayer"/> list in double, independently of the library's scorer:
/// <c>y = act(x W + b)</c> layer by layer, W row-major as [inputs, outputs].
/// </summary>
internal static class DenseReference
{
    internal static double Predict(IReadOnlyList<DenseLayer> layers, ReadOnlySpan<float> row)
    {
        double[] x = new double[row.Length];
        for (int i = 0; i < row.Length; i++)
        {
            x[i] = row[i];
        }

        foreach (DenseLayer layer in layers)
        {
            ReadOnlySpan<float> w = layer.Weights.Span;
            ReadOnlySpan<float> b = layer.Bias.Span;
            var y = new double[layer.Outputs];
            for (int j = 0; j < layer.Outputs; j++)
            {
                double sum = b[j];
                for (int i = 0; i < layer.Inputs; i++)
                {
                    sum += x[i] * w[(i * layer.Outputs) + j];
                }

                y[j] = Activate(layer, sum);
            }

            x = y;
        }

        return x[0];
    }

    /// <summary>The mean squared error of the layers' predictions over the rows, in double.</summary>
    internal static double MeanSquaredError(IReadOnlyList<DenseLayer> layers, float[][] features, float[] labels)
    {
        double sum = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double residual = Predict(layers, features[i]) - labels[i];
            sum += residual * residual;
        }

        return sum / labels.Length;
    }

    private static double Activate(DenseLayer layer, double v) => layer.Activation switch
    {
        null => v,
        Activation.Relu => Math.Max(v, 0),
        Activation.LeakyRelu => v >= 0 ? v : layer.NegativeSlope * v,
        Activation.Tanh => Math.Tanh(v),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-v)),
        Activation.Gelu => layer.GeluTanhApproximation
            ? 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + (0.044715 * v * v * v))))
            : 0.5 * v * (1 + Erf(v / Math.Sqrt(2))),
        _ => throw new NotSupportedException(layer.Activation.ToString()),
    };

    /// <summary>erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7).</summary>
    private static double Erf(double x)
    {
        double sign = Math.Sign(x);
        x = Math.Abs(x);
        double t = 1 / (1 + (0.3275911 * x));
        double poly = t * (0.254829592 + (t * (-0.284496736 + (t * (1.421413741 + (t * (-1.453152027 + (t * 1.061405429))))))));
        return sign * (1 - (poly * Math.Exp(-x * x)));
    }
}
