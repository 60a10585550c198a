namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;

/// <summary>
/// The error function against reference values (Python's <c>math.erf</c> / <c>math.erfc</c>, i.e. glibc,
/// correct to about one unit in the last place) across the three intervals of Cody's approximation.
/// </summary>
public sealed class SpecialFunctionsTests
{
    // x, erf(x), erfc(x), erfc(-x)
    public static TheoryData<double, double, double, double> ReferenceValues() => new()
    {
        { 0.0, 0.0, 1.0, 1.0 },
        { 1e-20, 1.1283791670955125e-20, 1.0, 1.0 },
        { 1e-10, 1.1283791670955126e-10, 0.999999999887162, 1.000000000112838 },
        { 0.1, 0.1124629160182849, 0.8875370839817152, 1.1124629160182848 },
        { 0.3, 0.3286267594591274, 0.6713732405408726, 1.3286267594591274 },
        { 0.46875, 0.49261347321793797, 0.507386526782062, 1.492613473217938 },
        { 0.5, 0.5204998778130465, 0.4795001221869535, 1.5204998778130465 },
        { 0.75, 0.7111556336535151, 0.28884436634648486, 1.7111556336535152 },
        { 1.0, 0.8427007929497149, 0.15729920705028513, 1.842700792949715 },
        { 1.5, 0.9661051464753108, 0.033894853524689274, 1.9661051464753108 },
        { 2.0, 0.9953222650189527, 0.004677734981047265, 1.9953222650189528 },
        { 3.0, 0.9999779095030014, 2.2090496998585438e-05, 1.9999779095030015 },
        { 3.9, 0.9999999652077514, 3.479224859723177e-08, 1.9999999652077514 },
        { 4.0, 0.9999999845827421, 1.541725790028002e-08, 1.999999984582742 },
        { 4.5, 0.9999999998033839, 1.9661604415428873e-10, 1.999999999803384 },
        { 5.0, 0.9999999999984626, 1.5374597944280351e-12, 1.9999999999984626 },
        { 6.0, 1.0, 2.1519736712498916e-17, 2.0 },
        { 10.0, 1.0, 2.088487583762545e-45, 2.0 },
        { 26.0, 1.0, 5.663192408856143e-296, 2.0 },
    };

    [Theory]
    [MemberData(nameof(ReferenceValues))]
    public void ErfAndErfcMatchReferenceValuesToDoublePrecision(double x, double erf, double erfc, double erfcOfNegative)
    {
        AssertRelative(erf, SpecialFunctions.Erf(x), 4e-16);
        AssertRelative(-erf, SpecialFunctions.Erf(-x), 4e-16);
        AssertRelative(erfc, SpecialFunctions.Erfc(x), 2e-15);
        AssertRelative(erfcOfNegative, SpecialFunctions.Erfc(-x), 4e-16);
    }

    [Fact]
    public void ErfHandlesTheLimitsAndNaN()
    {
        Assert.Equal(1.0, SpecialFunctions.Erf(double.PositiveInfinity));
        Assert.Equal(-1.0, SpecialFunctions.Erf(double.NegativeInfinity));
        Assert.Equal(0.0, SpecialFunctions.Erfc(30.0));
        Assert.Equal(2.0, SpecialFunctions.Erfc(-30.0));
        Assert.True(double.IsNaN(SpecialFunctions.Erf(double.NaN)));
        Assert.True(double.IsNaN(SpecialFunctions.Erfc(double.NaN)));
    }

    [Theory]
    [InlineData(0.46874999999999994, 0.5073865267820621)]
    [InlineData(0.46875000000000006, 0.507386526782062)]
    [InlineData(3.9999999999999996, 1.541725790028008e-08)]
    [InlineData(4.000000000000001, 1.5417257900279907e-08)]
    public void ErfcIsAccurateOnBothSidesOfTheIntervalBoundaries(double x, double erfc)
    {
        // One ulp either side of where Cody's approximation switches interval.
        AssertRelative(erfc, SpecialFunctions.Erfc(x), 2e-15);
    }

    [Fact]
    public void VectorisedNormalCdfAndPdfAgreeWithTheScalarForms()
    {
        // A grid over every interval and both tails, the interval boundaries (x = -+0.46875 sqrt 2, -+4 sqrt 2),
        // the special values, and an odd length so that the scalar tail runs too.
        var x = new List<double> { 0.0, -0.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity };
        foreach (double boundary in new[] { 0.46875 * Math.Sqrt(2), 4 * Math.Sqrt(2), 26.543 * Math.Sqrt(2) })
        {
            x.AddRange([boundary, -boundary, Math.BitIncrement(boundary), -Math.BitIncrement(boundary), Math.BitDecrement(boundary), -Math.BitDecrement(boundary)]);
        }

        for (double value = -40; value <= 40; value += 0.0371)
        {
            x.Add(value);
        }

        double[] values = [.. x];
        var cdf = new double[values.Length];
        var pdf = new double[values.Length];
        SpecialFunctions.NormalCdf(values, cdf);
        SpecialFunctions.NormalPdf(values, pdf);
        for (int i = 0; i < values.Length; i++)
        {
            AssertSame(SpecialFunctions.NormalCdf(values[i]), cdf[i], values[i]);
            AssertSame(SpecialFunctions.NormalPdf(values[i]), pdf[i], values[i]);
        }

        static void AssertSame(double expected, double actual, double at)
        {
            bool same = (double.IsNaN(expected) && double.IsNaN(actual)) || Math.Abs(expected - actual) <= 1e-15 * Math.Abs(expected);
            Assert.True(same, $"at x = {at:R}: scalar {expected:R}, vectorised {actual:R}.");
        }
    }

    [Fact]
    public void FloatLanesAreFloatAccurate()
    {
        // Every 0.0173 from -12 to 12 (float Phi underflows near -14), 1389 values: vector blocks and a tail.
        var grid = new List<float>();
        for (double value = -12; value <= 12; value += 0.0173)
        {
            grid.Add((float)value);
        }

        float[] x = [.. grid];
        var cdf = new float[x.Length];
        var pdf = new float[x.Length];
        SpecialFunctions.NormalCdf<float>(x, cdf);
        SpecialFunctions.NormalPdf<float>(x, pdf);
        for (int i = 0; i < x.Length; i++)
        {
            // Relative 1e-6 * max(1, x^2): a few float ulp, with the x^2 growth of erfc's sensitivity in the tail.
            double tolerance = 1e-6 * Math.Max(1, x[i] * (double)x[i]);
            double expectedCdf = SpecialFunctions.NormalCdf((double)x[i]);
            double expectedPdf = SpecialFunctions.NormalPdf((double)x[i]);
            Assert.True(Math.Abs(cdf[i] - expectedCdf) <= tolerance * expectedCdf, $"Phi({x[i]}f) = {cdf[i]:R}, expected {expectedCdf:R}.");
            Assert.True(Math.Abs(pdf[i] - expectedPdf) <= tolerance * expectedPdf, $"phi({x[i]}f) = {pdf[i]:R}, expected {expectedPdf:R}.");
        }
    }

    [Fact]
    public void LogOnePlusIsAccurateForTinyAndOrdinaryArguments()
    {
        Assert.Equal(3.720075976020836e-44, SpecialFunctions.LogOnePlus(Math.Exp(-100.0)));
        AssertRelative(1e-10 - 5e-21, SpecialFunctions.LogOnePlus(1e-10), 1e-15);
        AssertRelative(Math.Log(2.5), SpecialFunctions.LogOnePlus(1.5), 1e-15);
        Assert.Equal(1e-30f, SpecialFunctions.LogOnePlus(1e-30f));
        Assert.Equal(double.PositiveInfinity, SpecialFunctions.LogOnePlus(double.PositiveInfinity));
    }

    private static void AssertRelative(double expected, double actual, double tolerance)
    {
        double allowed = tolerance * Math.Abs(expected);
        Assert.True(Math.Abs(expected - actual) <= allowed, $"expected {expected:R}, actual {actual:R}, relative error {Math.Abs(expected - actual) / Math.Abs(expected):G3}.");
    }
}
