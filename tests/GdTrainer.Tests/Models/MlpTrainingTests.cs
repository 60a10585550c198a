namespace GdTrainer.Tests.Models;

using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;

/// <summary>An <see cref="Mlp"/> trained with the engine alone, the way a PyTorch tutorial does it.</summary>
public sealed class MlpTrainingTests
{
    [Fact]
    public void AnMlpFitsANonlinearFunctionFarBetterThanTheBestLine()
    {
        const int N = 100;
        var xs = new float[N];
        var ys = new float[N];
        for (int i = 0; i < N; i++)
        {
            xs[i] = -1f + (2f * i / (N - 1));
            ys[i] = MathF.Sin(3f * xs[i]);
        }

        Tensor<float> x = Tensor.From(xs, [N, 1]);
        Tensor<float> y = Tensor.From(ys);
        var model = new Mlp(1, [16, 16], 1, Activation.Tanh, seed: 1);
        IReadOnlyList<ModuleParameter> named = model.NamedParameters();
        var optimizer = new SgdOptimizer(
            [
                new ParameterGroup(named.Where(p => p.Kind == ParameterKind.Weight).Select(p => p.Value)),
                new ParameterGroup(named.Where(p => p.Kind == ParameterKind.Bias).Select(p => p.Value)),
            ],
            learningRate: 0.2f);
        var loss = new MeanSquaredErrorLoss();

        for (int step = 0; step < 1000; step++)
        {
            optimizer.ZeroGrad();
            loss.Compute(model.Forward(x), y).Backward();
            optimizer.Step();
        }

        model.Eval();
        double mlpError = Mse(model.Forward(x).ToArray(), ys);
        double lineError = BestLineMse(xs, ys);
        Assert.True(mlpError < lineError / 8, $"MLP MSE {mlpError}, best line MSE {lineError}");
    }

    private static double Mse(float[] predictions, float[] targets) =>
        predictions.Zip(targets, (p, t) => ((double)p - t) * ((double)p - t)).Average();

    /// <summary>The least-squares line's mean squared error, in closed form.</summary>
    private static double BestLineMse(float[] xs, float[] ys)
    {
        double meanX = xs.Average(v => (double)v);
        double meanY = ys.Average(v => (double)v);
        double sxy = xs.Zip(ys, (a, b) => (a - meanX) * (b - meanY)).Sum();
        double sxx = xs.Sum(a => (a - meanX) * (a - meanX));
        double slope = sxy / sxx;
        return xs.Zip(ys, (a, b) => Math.Pow(b - (meanY + (slope * (a - meanX))), 2)).Average();
    }
}
