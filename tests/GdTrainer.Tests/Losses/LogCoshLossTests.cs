namespace GdTrainer.Tests.Losses;

using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>
/// A loss written by a user with tensor operations only, no backward code: the mean of
/// <c>log(cosh(p - y))</c>, quadratic near 0 and linear for large residuals (robust to outliers).
/// </summary>
public sealed class LogCoshLoss : Loss
{
    /// <summary>
    /// log(cosh(r)) = |r| + softplus(-2|r|) - log 2, which never overflows (cosh does beyond |r| ~ 89 in float).
    /// The README's custom-loss example (<see cref="Samples.ReadmeExamplesTests.LogCoshLoss"/>) computes the same formula in float.
    /// </summary>
    internal static Tensor<T> Pointwise<T>(Tensor<T> residual)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Tensor<T> magnitude = residual.Abs();
        return magnitude + (T.CreateTruncating(-2) * magnitude).Softplus() - T.CreateTruncating(Math.Log(2));
    }

    /// <inheritdoc/>
    public override Tensor<float> Compute(Tensor<float> predictions, Tensor<float> targets, Tensor<float>? weights = null)
    {
        Tensor<float> pointwise = Pointwise(predictions - targets);
        return weights is null ? pointwise.Mean() : (pointwise * weights).Sum() / weights.Sum().Item();
    }
}

public sealed class LogCoshLossTests
{
    [Fact]
    public void ValueMatchesLogCoshAndGradientPassesGradCheck()
    {
        var residual = Tensor.From<double>([-30.0, -2.0, -0.3, 0.4, 1.5, 25.0], requiresGrad: true);
        AssertClose(Array.ConvertAll(residual.ToArray(), r => Math.Log(Math.Cosh(r))), LogCoshLoss.Pointwise(residual).Data, 1e-14);
        AssertGradCheck(t => LogCoshLoss.Pointwise(t[0]).Mean(), residual);

        // The gradient of the mean is tanh(r) / n, also at 0 where the |r| inside has a kink.
        var p = Tensor.From<float>([0f, 0.7f, -100f], requiresGrad: true);
        new LogCoshLoss().Compute(p, Tensor.Zeros([3])).Backward();
        AssertClose([0, Math.Tanh(0.7) / 3, -1.0 / 3], Array.ConvertAll(p.Grad!.ToArray(), g => (double)g), 1e-6);
    }

    [Fact]
    public void TrainingALinearModelWithItGivesTheRobustFitNotTheLeastSquaresFit()
    {
        // y = 2x + 1 with small noise; every 10th point is an outlier lifted by 20.
        const int n = 200;
        var random = new Random(2024);
        var x = new float[n];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)((random.NextDouble() * 4) - 2);
            y[i] = (2 * x[i]) + 1 + (float)(0.1 * ((random.NextDouble() * 2) - 1)) + (i % 10 == 0 ? 20f : 0f);
        }

        var model = new LinearModel(1);
        var optimizer = new SgdOptimizer(model.Parameters(), learningRate: 0.5f);
        var loss = new LogCoshLoss();
        Tensor<float> features = Tensor.From<float>(x, [n, 1]);
        Tensor<float> targets = Tensor.From<float>(y);
        for (int step = 0; step < 400; step++)
        {
            optimizer.ZeroGrad();
            loss.Compute(model.Forward(features), targets).Backward();
            optimizer.Step();
        }

        double slope = model.Weights[0];
        double intercept = model.Bias[0];
        (double robustSlope, double robustIntercept) = LogCoshFitByGradientDescent(x, y);
        (double lsSlope, double lsIntercept) = LeastSquaresFit(x, y);

        // SGD lands on the log-cosh minimiser (found independently in double), which is near the true line,
        // while least squares is pulled up by the outliers' mean lift of 20 / 10 = 2.
        Assert.Equal(robustSlope, slope, 0.01);
        Assert.Equal(robustIntercept, intercept, 0.01);
        Assert.Equal(2.0, slope, 0.15);
        Assert.Equal(1.0, intercept, 0.3);
        Assert.True(lsIntercept - 1.0 > 1.5, $"The least-squares intercept {lsIntercept} should be pulled up by ~2.");
        Assert.True(Math.Abs(intercept - lsIntercept) > 1.2, $"SGD intercept {intercept} vs least squares {lsIntercept}.");
        _ = lsSlope;
    }

    /// <summary>Minimises mean(log cosh(a x + b - y)) by full-batch gradient descent in double (gradient mean(tanh(r) [x, 1])).</summary>
    private static (double Slope, double Intercept) LogCoshFitByGradientDescent(float[] x, float[] y)
    {
        double a = 0;
        double b = 0;
        for (int iteration = 0; iteration < 20000; iteration++)
        {
            double ga = 0;
            double gb = 0;
            for (int i = 0; i < x.Length; i++)
            {
                double t = Math.Tanh((a * x[i]) + b - y[i]);
                ga += t * x[i] / x.Length;
                gb += t / x.Length;
            }

            a -= 0.5 * ga;
            b -= 0.5 * gb;
        }

        return (a, b);
    }

    /// <summary>The closed-form simple linear regression: slope cov(x, y) / var(x), intercept mean(y) - slope mean(x).</summary>
    private static (double Slope, double Intercept) LeastSquaresFit(float[] x, float[] y)
    {
        double mx = x.Average(v => (double)v);
        double my = y.Average(v => (double)v);
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }

        double slope = sxy / sxx;
        return (slope, my - (slope * mx));
    }
}
