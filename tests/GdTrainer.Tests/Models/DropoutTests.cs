namespace GdTrainer.Tests.Models;

using GdTrainer.Autograd;
using GdTrainer.Models;

/// <summary><see cref="Dropout"/>: inverted scaling, drop rate within a binomial bound, eval identity, seeded masks.</summary>
public sealed class DropoutTests
{
    private const int Rows = 200;
    private const int Columns = 100;
    private const int N = Rows * Columns;

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.3f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void DropsAFractionPAndPreservesTheMean(float p)
    {
        var dropout = new Dropout(p, new Random(42));
        Tensor<float> y = dropout.Forward(Tensor.Ones([Rows, Columns]));
        float scale = (float)(1.0 / (1.0 - p));

        int zeros = y.ToArray().Count(v => v == 0f);
        Assert.All(y.ToArray(), v => Assert.True(v == 0f || v == scale, $"{v} is neither 0 nor 1/(1-p) = {scale}"));

        // The number of zeros is Binomial(N, p): allow six standard deviations.
        double sd = Math.Sqrt(N * p * (1 - p));
        Assert.InRange(zeros, (N * p) - (6 * sd), (N * p) + (6 * sd));

        // The mean of the output is 1 in expectation, with standard deviation scale * sd / N.
        double mean = y.ToArray().Select(v => (double)v).Average();
        Assert.InRange(mean, 1 - (6 * scale * sd / N), 1 + (6 * scale * sd / N));
    }

    [Fact]
    public void NeighbouringElementsAreDroppedIndependently()
    {
        // Two mask elements come from one 64-bit draw; P(both dropped) must still be p^2.
        var dropout = new Dropout(0.5f, new Random(9));
        float[] y = dropout.Forward(Tensor.Ones([Rows, Columns])).ToArray();
        int pairs = N / 2;
        int bothDropped = Enumerable.Range(0, pairs).Count(i => y[2 * i] == 0f && y[(2 * i) + 1] == 0f);
        double sd = Math.Sqrt(pairs * 0.25 * 0.75);
        Assert.InRange(bothDropped, (pairs * 0.25) - (6 * sd), (pairs * 0.25) + (6 * sd));
    }

    [Fact]
    public void EvalModeAndZeroProbabilityAreTheIdentity()
    {
        Tensor<float> x = Tensor.Randn([4, 3], new Random(1), requiresGrad: true);
        var dropout = new Dropout(0.5f, new Random(1));
        dropout.Eval();
        Assert.Same(x, dropout.Forward(x));

        Assert.Same(x, new Dropout(0f).Forward(x));

        dropout.Train();
        Assert.NotSame(x, dropout.Forward(x));
    }

    [Fact]
    public void TheSameSeedGivesTheSameMasks()
    {
        var a = new Dropout(0.4f, new Random(123));
        var b = new Dropout(0.4f, new Random(123));
        Tensor<float> x = Tensor.Ones([10, 10]);

        float[] first = a.Forward(x).ToArray();
        Assert.Equal(first, b.Forward(x).ToArray());
        float[] second = a.Forward(x).ToArray();
        Assert.Equal(second, b.Forward(x).ToArray());
        Assert.NotEqual(first, second);
        Assert.NotEqual(first, new Dropout(0.4f, new Random(124)).Forward(x).ToArray());
    }

    [Fact]
    public void TheGradientIsTheMask()
    {
        var dropout = new Dropout(0.25f, new Random(3));
        Tensor<float> x = Tensor.Randn([6, 5], new Random(2), requiresGrad: true);
        Tensor<float> y = dropout.Forward(x);
        y.Sum().Backward();

        for (int i = 0; i < x.Length; i++)
        {
            float mask = x.Grad!.Data[i];
            Assert.True(mask == 0f || mask == 1f / 0.75f);
            Assert.Equal(x.Data[i] * mask, y.Data[i], 6);
        }
    }

    [Fact]
    public void ProbabilityOneZeroesEverythingAndOutOfRangeIsRejected()
    {
        Assert.All(new Dropout(1f, new Random(1)).Forward(Tensor.Ones([3, 3])).ToArray(), v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(-0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(float.NaN));
    }
}
