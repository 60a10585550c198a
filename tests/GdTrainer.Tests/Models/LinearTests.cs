namespace GdTrainer.Tests.Models;

using GdTrainer.Autograd;
using GdTrainer.Models;

/// <summary><see cref="Linear"/>: PyTorch's initialisation, seeding, shapes and the forward formula.</summary>
public sealed class LinearTests
{
    [Fact]
    public void WeightsAreUniformWithinOneOverSqrtInputs()
    {
        var layer = new Linear(100, 50, generator: new Random(11));
        double bound = 1.0 / Math.Sqrt(100);
        double[] weights = layer.Weight.ToArray().Select(w => (double)w).ToArray();

        Assert.Equal([100, 50], layer.Weight.Shape.ToArray());
        Assert.All(weights, w => Assert.InRange(Math.Abs(w), 0, (float)bound)); // the float nearest the bound may round up
        Assert.True(weights.Max() > 0.99 * bound && weights.Min() < -0.99 * bound, "the draws should fill the interval");

        // Kolmogorov-Smirnov against U(-bound, bound): the 1e-6 critical value for n = 5000 is sqrt(ln(2e6) / 2n) ~ 0.038.
        Assert.True(KolmogorovSmirnov(weights, bound) < 0.038, $"KS statistic {KolmogorovSmirnov(weights, bound)}");

        // Variance of U(-b, b) is b^2 / 3; the sample variance's relative standard error here is ~1.3%.
        double variance = weights.Select(w => w * w).Average();
        Assert.InRange(variance / (bound * bound / 3), 0.93, 1.07);
    }

    [Fact]
    public void BiasIsUniformWithinOneOverSqrtInputsNotOutputs()
    {
        var layer = new Linear(16, 400, generator: new Random(3));
        double bound = 1.0 / Math.Sqrt(16);
        double[] bias = layer.Bias!.ToArray().Select(b => (double)b).ToArray();

        Assert.Equal([400], layer.Bias!.Shape.ToArray());
        Assert.All(bias, b => Assert.InRange(Math.Abs(b), 0, (float)bound));
        Assert.True(bias.Max() > 0.9 * bound && bias.Min() < -0.9 * bound, "1/sqrt(outputs) = 0.05 would never come near 0.25");
        Assert.True(KolmogorovSmirnov(bias, bound) < 0.13, "critical value sqrt(ln(2e6) / 800) ~ 0.134");
    }

    [Fact]
    public void TheSameSeedGivesTheSameLayer()
    {
        var a = new Linear(5, 3, generator: new Random(7));
        var b = new Linear(5, 3, generator: new Random(7));
        var c = new Linear(5, 3, generator: new Random(8));

        Assert.Equal(a.Weight.ToArray(), b.Weight.ToArray());
        Assert.Equal(a.Bias!.ToArray(), b.Bias!.ToArray());
        Assert.NotEqual(a.Weight.ToArray(), c.Weight.ToArray());
        Assert.True(a.Weight.RequiresGrad && a.Weight.IsLeaf && a.Bias.RequiresGrad);
    }

    [Fact]
    public void WeightIsDrawnBeforeBiasFromOneGenerator()
    {
        var layer = new Linear(3, 2, generator: new Random(21));
        var random = new Random(21);
        double bound = 1.0 / Math.Sqrt(3);
        float[] expected = Enumerable.Range(0, 8).Select(_ => (float)(((2.0 * random.NextDouble()) - 1.0) * bound)).ToArray();

        Assert.Equal(expected[..6], layer.Weight.ToArray());
        Assert.Equal(expected[6..], layer.Bias!.ToArray());
    }

    [Fact]
    public void ForwardIsInputTimesWeightPlusBias()
    {
        var layer = new Linear(3, 2, generator: new Random(5));
        var x = Tensor.From(new float[,] { { 1f, -2f, 0.5f }, { 0.25f, 3f, -1f } });
        Tensor<float> y = layer.Forward(x);

        Assert.Equal([2, 2], y.Shape.ToArray());
        for (int row = 0; row < 2; row++)
        {
            for (int column = 0; column < 2; column++)
            {
                double expected = layer.Bias![column];
                for (int i = 0; i < 3; i++)
                {
                    expected += (double)x[row, i] * layer.Weight[i, column];
                }

                Assert.Equal(expected, y[row, column], 1e-6);
            }
        }

        Assert.Equal("Linear", y.GradFunctionName);
    }

    [Fact]
    public void OneOutputReturnsOneValuePerRow()
    {
        var layer = new Linear(3, 1, generator: new Random(5));
        var x = Tensor.From(new float[,] { { 1f, -2f, 0.5f }, { 0.25f, 3f, -1f } });
        Tensor<float> y = layer.Forward(x);

        Assert.Equal([3], layer.Weight.Shape.ToArray());
        Assert.Equal([1], layer.Bias!.Shape.ToArray());
        Assert.Equal([2], y.Shape.ToArray());
        for (int row = 0; row < 2; row++)
        {
            double expected = layer.Bias[0];
            for (int i = 0; i < 3; i++)
            {
                expected += (double)x[row, i] * layer.Weight[i];
            }

            Assert.Equal(expected, y[row], 1e-6);
        }
    }

    [Fact]
    public void WithoutBiasThereIsOnlyAWeight()
    {
        var layer = new Linear(2, 3, bias: false, generator: new Random(1));
        Assert.Null(layer.Bias);
        Assert.Equal(["weight"], layer.NamedParameters().Select(p => p.Name));
        Tensor<float> y = layer.Forward(Tensor.From(new float[,] { { 1f, 0f } }));
        Assert.Equal(layer.Weight.ToArray()[..3], y.ToArray());
    }

    [Fact]
    public void WrongShapesAreRejectedWithTheExpectedShape()
    {
        var layer = new Linear(3, 2, generator: new Random(1));
        ArgumentException error = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros([4, 2])));
        Assert.Contains("[n, 3]", error.Message, StringComparison.Ordinal);
        ArgumentException rank1 = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros([3])));
        Assert.Contains("last layer", rank1.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(2, 0));
    }

    private static double KolmogorovSmirnov(double[] samples, double bound)
    {
        double[] sorted = samples.Order().ToArray();
        double statistic = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            double cdf = (sorted[i] + bound) / (2 * bound);
            statistic = Math.Max(statistic, Math.Max(((i + 1.0) / sorted.Length) - cdf, cdf - ((double)i / sorted.Length)));
        }

        return statistic;
    }
}
