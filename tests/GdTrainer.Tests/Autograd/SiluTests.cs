namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>
/// <see cref="Tensor{T}.Silu"/>, <c>x sigmoid(x)</c> (PyTorch's <c>F.silu</c>): values against <c>x / (1 + e^-x)</c> computed
/// in double, gradients against central differences (<see cref="GradCheck"/>) and against the closed-form derivative.
/// </summary>
public sealed class SiluTests
{
    private static readonly double[] s_points = [-40, -12, -5.5, -1.2784645, -1, -0.3, 0, 0.25, 1, 2.5, 7, 16, 40];

    public static TheoryData<int[]> Shapes() => [[], [5], [3, 4]];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SiluPassesGradCheck(int[] shape)
    {
        Tensor<double> x = Uniform(new Random(17 + shape.Length), shape, -6, 6);
        AssertGradCheck(t => t[0].Silu(), x);

        // Downstream of another operation, so the incoming gradient is not all ones.
        AssertGradCheck(t => t[0].Silu().Multiply(t[0]), x);
    }

    [Fact]
    public void SiluPassesGradCheckFarIntoBothTails()
    {
        AssertGradCheck(t => t[0].Silu(), Tensor.From<double>(s_points, requiresGrad: true));
    }

    [Fact]
    public void ValuesAndGradientsMatchTheClosedFormsInDoubleAndFloat()
    {
        double[] expected = [.. s_points.Select(x => x / (1 + Math.Exp(-x)))];
        double[] slope = [.. s_points.Select(x => (1 + Math.Exp(-x) + (x * Math.Exp(-x))) / Math.Pow(1 + Math.Exp(-x), 2))];

        var x64 = Tensor.From<double>(s_points, requiresGrad: true);
        Tensor<double> y64 = x64.Silu();
        y64.Sum().Backward();
        AssertClose(expected, y64.ToArray(), 1e-15);
        AssertClose(slope, x64.Grad!.ToArray(), 1e-14);

        var x32 = Tensor.From<float>([.. s_points.Select(v => (float)v)], requiresGrad: true);
        Tensor<float> y32 = x32.Silu();
        y32.Sum().Backward();
        AssertClose(expected, [.. y32.ToArray().Select(v => (double)v)], 1e-6);
        AssertClose(slope, [.. x32.Grad!.ToArray().Select(v => (double)v)], 1e-6);
    }

    [Fact]
    public void PinnedValuesAndEdgesAsPyTorch()
    {
        // torch.nn.functional.silu: 0 at 0 with slope 1/2; sigmoid(1) at 1; the minimum -0.2784645 at -1.2784645; NaN at -inf.
        var x = Tensor.From<double>([0, 1, -1.2784645427610738, double.PositiveInfinity, double.NegativeInfinity], requiresGrad: true);
        Tensor<double> y = x.Silu();
        y.Sum().Backward();

        Assert.Equal(0.0, y[0]);
        Assert.Equal(0.7310585786300049, y[1], 1e-15);
        Assert.Equal(-0.2784645427610738, y[2], 1e-15);
        Assert.Equal(double.PositiveInfinity, y[3]);
        Assert.True(double.IsNaN(y[4]));
        Assert.Equal(0.5, x.Grad![0]);
        Assert.Equal(0.0, x.Grad[2], 1e-12); // the minimum
        Assert.Equal("Silu", y.GradFunctionName);
    }

    [Fact]
    public void NoGraphIsRecordedWithoutGrad()
    {
        var x = Tensor.From<float>([1f, -2f], requiresGrad: true);
        using (GdTrainer.Autograd.Autograd.NoGrad())
        {
            Assert.Null(x.Silu().GradFunctionName);
        }

        Assert.Null(Tensor.From<float>([1f, -2f]).Silu().GradFunctionName);
    }
}
