namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>
/// The numerically delicate inputs of issue 8: logits around +-1e4 for the softmax family, softplus at
/// +-100 and 1e4, Gelu far in its tails. Results must be finite and equal to the exact values, in float
/// and in double, and so must their gradients.
/// </summary>
public sealed class StabilityTests
{
    [Theory]
    [InlineData(1e4)]
    [InlineData(-1e4)]
    [InlineData(0.0)]
    public void LogSoftmaxOfShiftedLogitsEqualsThatOfTheDifferencesInFloat(double shift)
    {
        Tensor<float> shifted = Tensor.From<float>([(float)shift, (float)(shift - 1), (float)(shift + 2)]);
        Tensor<float> centred = Tensor.From<float>([0f, -1f, 2f]);
        float[] expected = centred.LogSoftmax().ToArray();

        float[] actual = shifted.LogSoftmax().ToArray();

        Assert.All(actual, v => Assert.True(float.IsFinite(v)));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-6f);
        }

        // And both against the exact value in double: log_softmax([0, -1, 2]).
        double normaliser = Math.Log(1 + Math.Exp(-1) + Math.Exp(2));
        AssertClose([-normaliser, -1 - normaliser, 2 - normaliser], Array.ConvertAll(actual, v => (double)v), 1e-6);
    }

    [Theory]
    [InlineData(1e4)]
    [InlineData(-1e4)]
    public void SoftmaxFamilyIsExactAndFiniteForLogitsAroundTenThousandInDouble(double shift)
    {
        var x = Tensor.From<double>([shift, shift - 1, shift + 2, shift + 0.5, shift - 3, shift], [2, 3], requiresGrad: true);
        Tensor<double> centred = Tensor.From<double>([0, -1, 2, 0.5, -3, 0], [2, 3]);
        foreach (int axis in new[] { 0, 1 })
        {
            AssertClose(centred.LogSoftmax(axis).Data, x.LogSoftmax(axis).Data, 1e-15);
            AssertClose(centred.Softmax(axis).Data, x.Softmax(axis).Data, 1e-15);
            double[] expectedLogSumExp = Array.ConvertAll(centred.LogSumExp(axis).ToArray(), v => v + shift);
            AssertClose(expectedLogSumExp, x.LogSumExp(axis).Data, 1e-15);

            x.LogSoftmax(axis).Multiply(centred).Sum().Backward();
            x.Softmax(axis).Multiply(centred).Sum().Backward();
            x.LogSumExp(axis).Sum().Backward();
            Assert.All(x.Grad!.ToArray(), v => Assert.True(double.IsFinite(v)));
            x.Grad = null;
        }
    }

    [Fact]
    public void LogSoftmaxStaysExactWhereTheProbabilityUnderflows()
    {
        // exp(-1e4) underflows to 0 in both types, yet its logarithm is exactly representable.
        Tensor<float> logits = Tensor.From<float>([0f, -1e4f, 5f], [1, 3]);
        float[] logProbabilities = logits.LogSoftmax().ToArray();
        double normaliser = 5 + Math.Log(1 + Math.Exp(-5));
        AssertClose([-normaliser, -1e4 - normaliser, 5 - normaliser], Array.ConvertAll(logProbabilities, v => (double)v), 1e-7);
        Assert.Equal(0f, logits.Softmax()[1]);
    }

    [Fact]
    public void LogSumExpHandlesInfinitiesAsPyTorchDoes()
    {
        var minusInfinity = Tensor.From<double>([double.NegativeInfinity, double.NegativeInfinity], [1, 2]);
        var plusInfinity = Tensor.From<double>([double.PositiveInfinity, 1.0], [1, 2]);
        var mixed = Tensor.From<double>([double.NegativeInfinity, 3.0], [1, 2]);
        Assert.Equal(double.NegativeInfinity, minusInfinity.LogSumExp(1).Item());
        Assert.Equal(double.NegativeInfinity, minusInfinity.LogSumExp(0)[0]);
        Assert.Equal(double.PositiveInfinity, plusInfinity.LogSumExp(1).Item());
        Assert.Equal(3.0, mixed.LogSumExp(1).Item());
        Assert.Equal([0.0, 1.0], mixed.Softmax().ToArray());
    }

    [Fact]
    public void SoftplusIsExactAtMinusOneHundredAndFiniteAtTenThousand()
    {
        var x = Tensor.From<double>([-100.0, 1e4, -1e4, 100.0], requiresGrad: true);
        Tensor<double> y = x.Softplus();

        Assert.Equal(Math.Exp(-100), y[0], 1e-15 * Math.Exp(-100));
        Assert.Equal(1e4, y[1]);
        Assert.Equal(0.0, y[2]);
        Assert.Equal(100.0, y[3]);

        y.Sum().Backward();
        Assert.Equal(Math.Exp(-100), x.Grad![0], 1e-15 * Math.Exp(-100));
        Assert.Equal([1.0, 0.0, 1.0], x.Grad.ToArray()[1..]);
    }

    [Fact]
    public void SoftplusWithoutThresholdIsStillFiniteAndExact()
    {
        // With the threshold out of the way, the stable form max(z, 0) + log1p(exp(-|z|)) does the work.
        var x = Tensor.From<double>([-100.0, 1e4, 30.0]);
        Tensor<double> y = x.Softplus(1.0, double.PositiveInfinity);
        Assert.Equal(Math.Exp(-100), y[0], 1e-15 * Math.Exp(-100));
        Assert.Equal(1e4, y[1]);
        Assert.Equal(30 + Math.Exp(-30), y[2], 1e-15 * 30);

        Tensor<float> yf = Tensor.From<float>([-80f, 1e4f, 30f]).Softplus(1f, float.PositiveInfinity);
        Assert.Equal(Math.Exp(-80), yf[0], 1e-6 * Math.Exp(-80));
        Assert.Equal(1e4f, yf[1]);
        Assert.Equal(30f, yf[2]);

        // The same on full vector blocks (8 float lanes), with the default threshold too.
        float[] repeated = [-80f, 1e4f, 30f, -1e4f, -80f, 1e4f, 30f, -1e4f, -80f, 1e4f, 30f, -1e4f, -80f, 1e4f, 30f, -1e4f];
        foreach (Tensor<float> blockResult in new[] { Tensor.From<float>(repeated).Softplus(1f, float.PositiveInfinity), Tensor.From<float>(repeated).Softplus() })
        {
            for (int i = 0; i < repeated.Length; i += 4)
            {
                Assert.Equal(Math.Exp(-80), blockResult[i], 1e-6 * Math.Exp(-80));
                Assert.Equal(1e4f, blockResult[i + 1]);
                Assert.Equal(30f, blockResult[i + 2]);
                Assert.Equal(0f, blockResult[i + 3]);
            }
        }
    }

    [Fact]
    public void SoftplusSwitchesToLinearStrictlyAboveTheThresholdAsPyTorchDoes()
    {
        // PyTorch: beta x > threshold ? x : log1p(exp(beta x)) / beta, so at the threshold itself the log form is used.
        var x = Tensor.From<double>([20.0, Math.BitIncrement(20.0)], requiresGrad: true);
        Tensor<double> y = x.Softplus();
        Assert.Equal(20.000000002061153, y[0], 1e-15 * 20);
        Assert.Equal(Math.BitIncrement(20.0), y[1]);
        y.Sum().Backward();
        Assert.Equal(0.9999999979388463, x.Grad![0], 1e-15);
        Assert.Equal(1.0, x.Grad[1]);
    }

    [Fact]
    public void SoftplusWithBetaMatchesPyTorchsFormula()
    {
        // F.softplus(x, beta=2, threshold=20): log(1 + exp(2x)) / 2, and x where 2x > 20.
        var x = Tensor.From<double>([-3.0, 0.0, 9.0, 10.5]);
        Tensor<double> y = x.Softplus(2.0, 20.0);
        AssertClose([Math.Log(1 + Math.Exp(-6)) / 2, Math.Log(2) / 2, Math.Log(1 + Math.Exp(18)) / 2, 10.5], y.Data, 1e-15);
    }

    [Fact]
    public void GeluIsFiniteWithExactGradientsFarInItsTails()
    {
        var x = Tensor.From<double>([-1e4, -40.0, 40.0, 1e4], requiresGrad: true);
        Tensor<double> y = x.Gelu();
        AssertClose([0.0, 0.0, 40.0, 1e4], y.Data, 0);
        y.Sum().Backward();
        AssertClose([0.0, 0.0, 1.0, 1.0], x.Grad!.Data, 0);

        x.Grad = null;
        Tensor<double> approximate = x.Gelu(tanhApproximation: true);
        AssertClose([0.0, 0.0, 40.0, 1e4], approximate.Data, 0);
        approximate.Sum().Backward();
        AssertClose([0.0, 0.0, 1.0, 1.0], x.Grad!.Data, 0);

        Tensor<float> xf = Tensor.From<float>([-1e4f, 1e4f]);
        Assert.Equal([0f, 1e4f], Array.ConvertAll(xf.Gelu().ToArray(), v => v == 0 ? 0f : v));
    }
}
