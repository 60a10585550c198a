namespace GdTrainer.Tests.Optimizers;

using GdTrainer.Autograd;
using GdTrainer.Optimizers;

public sealed class GradientClippingTests
{
    private static Tensor<float> WithGradient(params float[] gradient)
    {
        var p = Tensor.From<float>(new float[gradient.Length], requiresGrad: true);
        p.Grad = Tensor.From<float>(gradient);
        return p;
    }

    [Fact]
    public void ClipByNormScalesAllGradientsTogether()
    {
        var a = WithGradient(3f, 4f);
        var b = WithGradient(12f);
        var noGradient = Tensor.From<float>([1f], requiresGrad: true);

        float total = GradientClipping.ClipByNorm([a, b, noGradient], maxNorm: 6.5f);

        Assert.Equal(13.0, total, 1e-6); // √(9 + 16 + 144)
        double scale = 6.5 / (13.0 + 1e-6);
        Assert.Equal(3 * scale, a.Grad![0], 1e-6);
        Assert.Equal(4 * scale, a.Grad![1], 1e-6);
        Assert.Equal(12 * scale, b.Grad!.Item(), 1e-5);
        Assert.Null(noGradient.Grad);
    }

    [Fact]
    public void ClipByNormLeavesSmallGradientsAlone()
    {
        var a = WithGradient(3f, 4f);
        Assert.Equal(5f, GradientClipping.ClipByNorm([a], maxNorm: 5.001f));
        Assert.Equal([3f, 4f], a.Grad!.ToArray());
        Assert.Equal(5f, GradientClipping.ClipByNorm([a], maxNorm: 100f));
        Assert.Equal([3f, 4f], a.Grad!.ToArray());
    }

    [Theory]
    [InlineData(1.0, 3.0 + 4.0 + 12.0)]
    [InlineData(3.0, 12.2070552)] // (27 + 64 + 1728)^(1/3) = 1819^(1/3)
    [InlineData(double.PositiveInfinity, 12.0)]
    public void OtherNormsFollowTheirDefinitions(double normType, double expectedTotal)
    {
        var a = WithGradient(3f, -4f);
        var b = WithGradient(-12f);
        float total = GradientClipping.ClipByNorm([a, b], maxNorm: 1f, normType: (float)normType);
        Assert.Equal(expectedTotal, total, 1e-3 * expectedTotal);
        double scale = 1.0 / (total + 1e-6);
        Assert.Equal(-4 * scale, a.Grad![1], 1e-6);
        Assert.Equal(-12 * scale, b.Grad!.Item(), 1e-6);
    }

    [Fact]
    public void ClipByNormAcceptsALazySequence()
    {
        Tensor<float>[] parameters = [WithGradient(6f, 8f)];
        float total = GradientClipping.ClipByNorm(parameters.Select(p => p), maxNorm: 1f);
        Assert.Equal(10f, total);
        Assert.Equal(0.6, parameters[0].Grad![0], 1e-6);
    }

    [Fact]
    public void NoGradientsGiveANormOfZero()
    {
        Assert.Equal(0f, GradientClipping.ClipByNorm([Tensor.From<float>([1f], requiresGrad: true)], 1f));
    }

    [Fact]
    public void ANaNNormPropagatesOrThrowsOnRequest()
    {
        var a = WithGradient(1f, float.NaN);
        var b = WithGradient(2f);
        var error = Assert.Throws<InvalidOperationException>(() => GradientClipping.ClipByNorm([a, b], 1f, errorIfNonFinite: true));
        Assert.Contains("NaN", error.Message);
        Assert.Equal(2f, b.Grad!.Item()); // Nothing changed before the error.

        Assert.True(float.IsNaN(GradientClipping.ClipByNorm([a, b], 1f)));
        Assert.True(float.IsNaN(b.Grad!.Item())); // As PyTorch: the NaN factor is applied.
    }

    [Fact]
    public void AnInfiniteNormZeroesFiniteGradients()
    {
        var a = WithGradient(float.PositiveInfinity, 2f);
        Assert.Throws<InvalidOperationException>(() => GradientClipping.ClipByNorm([a], 1f, errorIfNonFinite: true));
        Assert.Equal(float.PositiveInfinity, GradientClipping.ClipByNorm([a], 1f));
        Assert.True(float.IsNaN(a.Grad![0])); // ∞·0
        Assert.Equal(0f, a.Grad![1]);
    }

    [Fact]
    public void ClipByValueClampsEachElement()
    {
        var a = WithGradient(-5f, -0.5f, 0.25f, 3f, float.NaN);
        GradientClipping.ClipByValue([a], 1f);
        float[] clipped = a.Grad!.ToArray();
        Assert.Equal([-1f, -0.5f, 0.25f, 1f], clipped[..4]);
        Assert.True(float.IsNaN(clipped[4]));
    }

    [Fact]
    public void InvalidArgumentsAreRejectedByName()
    {
        Tensor<float>[] parameters = [WithGradient(1f)];
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByNorm(parameters, -1f)).ParamName);
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByNorm(parameters, float.NaN)).ParamName);
        Assert.Equal("normType", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByNorm(parameters, 1f, normType: 0f)).ParamName);
        Assert.Equal("clipValue", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByValue(parameters, -0.1f)).ParamName);
    }

    [Fact]
    public void ClippingAllocatesNothingForAnArray()
    {
        Tensor<float>[] parameters = [WithGradient(3f, 4f), WithGradient(12f)];
        GradientClipping.ClipByNorm(parameters, 1f);
        GradientClipping.ClipByValue(parameters, 1f);
        long before = GC.GetAllocatedBytesForCurrentThread();
        GradientClipping.ClipByNorm(parameters, 1f);
        GradientClipping.ClipByValue(parameters, 0.5f);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
