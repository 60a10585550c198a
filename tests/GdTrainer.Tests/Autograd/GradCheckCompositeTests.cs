namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>
/// Graphs in which a tensor is used more than once (its gradient must accumulate from every use)
/// and a deeper composite, a two-layer perceptron with a squared-error loss.
/// </summary>
public sealed class GradCheckCompositeTests
{
    [Fact]
    public void SquarePlusSelfHasGradientTwoXPlusOne()
    {
        var random = new Random(101);
        Tensor<double> x = Uniform(random, [3, 4], -2, 2);

        (x * x + x).Sum().Backward();

        var expected = new double[x.Length];
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = (2 * x.Data[i]) + 1;
        }

        Assert.NotNull(x.Grad);
        AssertClose(expected, x.Grad.Data, 1e-14);
        AssertGradCheck(t => (t[0] * t[0]) + t[0], x);
    }

    [Fact]
    public void SameTensorInBothOperandsOfEachBinaryOp()
    {
        var random = new Random(103);
        Tensor<double> x = AwayFromZero(random, [3, 4]);
        AssertGradCheck(t => t[0].Add(t[0]), x);
        AssertGradCheck(t => t[0].Subtract(t[0]).Add(t[0].Exp()), x);
        AssertGradCheck(t => t[0].Multiply(t[0]), x);
        AssertGradCheck(t => t[0].Divide(t[0]).Multiply(t[0]), x);
        AssertGradCheck(t => t[0].MatMul(t[0].Transpose()), x);
        AssertGradCheck(t => t[0].Transpose().MatMul(t[0]), x);
    }

    [Fact]
    public void MatMulPlusSumOfTheSameInput()
    {
        var random = new Random(107);
        Tensor<double> a = Uniform(random, [3, 4], -1, 1);
        Tensor<double> b = Uniform(random, [4, 2], -1, 1);
        AssertGradCheck(t => t[0].MatMul(t[1]) + t[0].Sum(), a, b);

        // Closed form of d/da sum(a @ b + sum(a)): each a[i, j] gets sum_c b[j, c] from the product
        // and 6 (one per element of the [3, 2] result) from the broadcast sum.
        a.MatMul(b).Add(a.Sum()).Sum().Backward();
        var expected = new double[12];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                expected[(i * 4) + j] = b.Data[j * 2] + b.Data[(j * 2) + 1] + 6;
            }
        }

        Assert.NotNull(a.Grad);
        AssertClose(expected, a.Grad.Data, 1e-14);
    }

    [Fact]
    public void IntermediateResultUsedSeveralTimes()
    {
        var random = new Random(109);
        Tensor<double> x = Uniform(random, [3, 4], -1, 1);
        Tensor<double> w = Uniform(random, [4], -1, 1);

        AssertGradCheck(
            t =>
            {
                Tensor<double> h = t[0].Tanh();
                return (h * h) + h.Exp() - h.Mean(1, keepDim: true) * t[1];
            },
            x,
            w);

        // A diamond: two branches of the same node meet again further down.
        AssertGradCheck(
            t =>
            {
                Tensor<double> e = t[0].Multiply(t[1]).Sigmoid();
                Tensor<double> left = e.Sum(0);
                Tensor<double> right = e.Pow(2).Mean(0);
                return left.Divide(right + 1.0).Multiply(e.Sum());
            },
            x,
            w);
    }

    [Fact]
    public void ReshapedViewAndTheOriginalInOneGraph()
    {
        var random = new Random(113);
        Tensor<double> x = Uniform(random, [3, 4], -1, 1);
        AssertGradCheck(t => t[0].Reshape(4, 3).MatMul(t[0]).Sum(1) + t[0].Reshape(12).Sum(), x);
        AssertGradCheck(t => t[0].Reshape(4, 3).Transpose().Multiply(t[0]), x);
    }

    [Fact]
    public void TwoLayerPerceptronWithSquaredErrorLossPassesGradCheck()
    {
        var random = new Random(127);
        Tensor<double> features = Uniform(random, [5, 3], -1, 1);
        Tensor<double> w1 = Uniform(random, [3, 4], -1, 1);
        Tensor<double> b1 = Uniform(random, [4], -0.5, 0.5);
        Tensor<double> w2 = Uniform(random, [4, 1], -1, 1);
        Tensor<double> b2 = Uniform(random, [1], -0.5, 0.5);
        Tensor<double> targets = Uniform(random, [5, 1], -1, 1, requiresGrad: false);

        AssertGradCheck(t => Mlp(t[0], t[1], t[2], t[3], t[4], t[5]), features, w1, b1, w2, b2, targets);
    }

    [Fact]
    public void TwoLayerPerceptronGradientsInFloatMatchDouble()
    {
        var random = new Random(131);
        Tensor<double>[] doubles =
        [
            Uniform(random, [5, 3], -1, 1, requiresGrad: false),
            Uniform(random, [3, 4], -1, 1),
            Uniform(random, [4], -0.5, 0.5),
            Uniform(random, [4, 1], -1, 1),
            Uniform(random, [1], -0.5, 0.5),
            Uniform(random, [5, 1], -1, 1, requiresGrad: false),
        ];
        var floats = new Tensor<float>[doubles.Length];
        for (int i = 0; i < doubles.Length; i++)
        {
            float[] values = Array.ConvertAll(doubles[i].ToArray(), v => (float)v);
            floats[i] = Tensor.From<float>(values, doubles[i].Shape, doubles[i].RequiresGrad);
        }

        Tensor<double> lossDouble = Mlp(doubles[0], doubles[1], doubles[2], doubles[3], doubles[4], doubles[5]);
        Tensor<float> lossFloat = Mlp(floats[0], floats[1], floats[2], floats[3], floats[4], floats[5]);
        lossDouble.Backward();
        lossFloat.Backward();

        Assert.Equal(lossDouble.Item(), lossFloat.Item(), 1e-5);
        for (int i = 1; i <= 4; i++)
        {
            double[] expected = doubles[i].Grad!.ToArray();
            double[] actual = Array.ConvertAll(floats[i].Grad!.ToArray(), v => (double)v);
            AssertClose(expected, actual, 1e-5);
        }
    }

    private static Tensor<T> Mlp<T>(Tensor<T> x, Tensor<T> w1, Tensor<T> b1, Tensor<T> w2, Tensor<T> b2, Tensor<T> y)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Tensor<T> hidden = (x.MatMul(w1) + b1).Tanh();
        Tensor<T> prediction = hidden.MatMul(w2) + b2;
        return (prediction - y).Pow(T.CreateTruncating(2)).Mean();
    }
}
