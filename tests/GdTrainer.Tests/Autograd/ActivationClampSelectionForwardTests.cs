namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>
/// Forward values of the activation, clamping and selection operations against formulas computed
/// independently in double (and, for float, within float rounding of them); gradients at the kinks
/// against the choices PyTorch documents.
/// </summary>
public sealed class ActivationClampSelectionForwardTests
{
    public static TheoryData<string> UnaryOps()
    {
        var data = new TheoryData<string>();
        foreach (string op in ActivationClampSelectionGradCheckTests.UnaryOps)
        {
            data.Add(op);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void UnaryForwardMatchesTheDoubleFormulaInDoubleAndFloat(string op)
    {
        var random = new Random(211 + op.Length);
        Tensor<double> x = Uniform(random, [7, 9], -4, 4, requiresGrad: false);
        double[] expected = Array.ConvertAll(x.ToArray(), v => Reference(op, v));

        Tensor<double> y = ActivationClampSelectionGradCheckTests.ApplyUnary(op, x);
        Assert.Equal([7, 9], y.Shape.ToArray());
        AssertClose(expected, y.Data, 1e-14);

        Tensor<float> xf = Tensor.From<float>(Array.ConvertAll(x.ToArray(), v => (float)v), [7, 9]);
        float[] yf = ActivationClampSelectionGradCheckTests.ApplyUnary(op, xf).ToArray();
        double[] expectedFromFloatInputs = Array.ConvertAll(xf.ToArray(), v => Reference(op, v));
        AssertClose(expectedFromFloatInputs, Array.ConvertAll(yf, v => (double)v), 1e-6);
    }

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void UnaryOpRecordsItsNameAndRecordsNothingWithoutGrad(string op)
    {
        var x = Tensor.From<double>([0.3, -1.2], requiresGrad: true);
        string expectedName = op switch
        {
            _ when op.StartsWith("LeakyRelu", StringComparison.Ordinal) => "LeakyRelu",
            _ when op.StartsWith("Gelu", StringComparison.Ordinal) => "Gelu",
            _ when op.StartsWith("Softplus", StringComparison.Ordinal) => "Softplus",
            _ => op,
        };
        Assert.Equal(expectedName, ActivationClampSelectionGradCheckTests.ApplyUnary(op, x).GradFunctionName);
        Assert.Null(ActivationClampSelectionGradCheckTests.ApplyUnary(op, x.Detach()).GradFunctionName);
        using (Autograd.NoGrad())
        {
            Assert.False(ActivationClampSelectionGradCheckTests.ApplyUnary(op, x).RequiresGrad);
        }
    }

    // x, gelu(x) = x * Phi(x) from Python's math.erfc: x * 0.5 * erfc(-x / sqrt(2)).
    public static TheoryData<double, double> GeluReference() => new()
    {
        { -30.0, -1.4720141781446293e-196 },
        { -8.0, -4.9767684594174555e-15 },
        { -5.0, -1.4332578593959731e-06 },
        { -3.0, -0.004049694094890287 },
        { -1.5, -0.10021080190328713 },
        { -1.0, -0.15865525393145707 },
        { -0.5, -0.15426876936299344 },
        { -0.1, -0.0460172162722971 },
        { 0.0, 0.0 },
        { 0.1, 0.053982783727702904 },
        { 0.5, 0.34573123063700656 },
        { 1.0, 0.8413447460685429 },
        { 2.0, 1.9544997361036416 },
        { 3.0, 2.99595030590511 },
        { 6.0, 5.999999994080474 },
    };

    [Theory]
    [MemberData(nameof(GeluReference))]
    public void GeluIsTheExactErfFormToDoublePrecision(double x, double expected)
    {
        // The reference rounds -x / sqrt(2) differently; in the tail erfc's relative sensitivity to that
        // rounding is ~x^2 ulp, hence the tolerance grows with x^2 (1e-13 at x = -30).
        double actual = Tensor.Scalar(x).Gelu().Item();
        double tolerance = 1e-15 * Math.Max(1, x * x) * Math.Abs(expected);
        Assert.True(Math.Abs(actual - expected) <= tolerance, $"Gelu({x}) = {actual:R}, expected {expected:R}.");
    }

    [Fact]
    public void GeluOfTheWholeReferenceTableAtOnceMatchesItInDoubleAndFloat()
    {
        // One tensor, so that the vectorised path (not only the scalar tail) computes the values.
        TheoryData<double, double> table = GeluReference();
        double[] x = [.. table.Select(row => (double)row[0])];
        double[] expected = [.. table.Select(row => (double)row[1])];

        double[] actual = Tensor.From<double>(x).Gelu().ToArray();
        float[] xFloat = Array.ConvertAll(x, v => (float)v);
        float[] actualFloat = Tensor.From<float>(xFloat).Gelu().ToArray();

        // Float tensors are evaluated in float lanes: within a few float ulp of the double result at the same
        // (rounded) inputs, the allowance growing with x^2 in the tail as for the double reference above.
        double[] atFloatInputs = Tensor.From<double>(Array.ConvertAll(xFloat, v => (double)v)).Gelu().ToArray();

        for (int i = 0; i < x.Length; i++)
        {
            double tolerance = 1e-15 * Math.Max(1, x[i] * x[i]) * Math.Abs(expected[i]);
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"Gelu({x[i]}) = {actual[i]:R}, expected {expected[i]:R}.");
            double floatTolerance = 1e-6 * Math.Max(1, x[i] * x[i]) * Math.Abs(atFloatInputs[i]);
            Assert.True(
                Math.Abs(actualFloat[i] - atFloatInputs[i]) <= Math.Max(floatTolerance, float.Epsilon),
                $"Gelu({xFloat[i]}f) = {actualFloat[i]:R}, expected {atFloatInputs[i]:R}.");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GeluGradientInFloatMatchesTheDoubleGradient(bool tanhApproximation)
    {
        var random = new Random(229);
        float[] values = Array.ConvertAll(Uniform(random, [5, 13], -6, 6).ToArray(), v => (float)v);
        var xf = Tensor.From<float>(values, [5, 13], requiresGrad: true);
        var x = Tensor.From<double>(Array.ConvertAll(values, v => (double)v), [5, 13], requiresGrad: true);
        x.Gelu(tanhApproximation).Sum().Backward();
        xf.Gelu(tanhApproximation).Sum().Backward();
        AssertClose(x.Grad!.Data, Array.ConvertAll(xf.Grad!.ToArray(), v => (double)v), 2e-6);
    }

    [Fact]
    public void GeluTanhApproximationDiffersFromTheExactFormByItsKnownError()
    {
        // The tanh form approximates x Phi(x) to within ~5e-4 (PyTorch's documentation of approximate='tanh').
        Tensor<double> x = Tensor.From<double>([-3.0, -1.0, -0.5, 0.5, 1.0, 3.0]);
        double[] exact = x.Gelu().ToArray();
        double[] approximate = x.Gelu(tanhApproximation: true).ToArray();
        double largest = 0;
        for (int i = 0; i < exact.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(exact[i] - approximate[i]));
        }

        Assert.InRange(largest, 1e-6, 1e-3);
    }

    [Fact]
    public void LeakyReluGradientAtZeroIsTheSlopeAsInPyTorch()
    {
        var x = Tensor.From<double>([-2.0, 0.0, 3.0], requiresGrad: true);
        x.LeakyRelu().Sum().Backward();
        AssertClose([0.01, 0.01, 1.0], x.Grad!.Data, 0);

        x.Grad = null;
        x.LeakyRelu(0.25).Sum().Backward();
        AssertClose([0.25, 0.25, 1.0], x.Grad!.Data, 0);
        AssertClose([-0.5, 0.0, 3.0], x.LeakyRelu(0.25).Data, 0);
    }

    [Fact]
    public void GeluHasValueZeroAndSlopeOneHalfAtZeroInBothForms()
    {
        var x = Tensor.From<double>([0.0], requiresGrad: true);
        Tensor<double> exact = x.Gelu();
        Assert.Equal(0.0, exact[0]);
        exact.Sum().Backward();
        Assert.Equal(0.5, x.Grad![0]);

        x.Grad = null;
        Tensor<double> approximate = x.Gelu(tanhApproximation: true);
        Assert.Equal(0.0, approximate[0]);
        approximate.Sum().Backward();
        Assert.Equal(0.5, x.Grad![0]);
    }

    [Fact]
    public void ClampPassesTheGradientAtBothBoundsAsInPyTorch()
    {
        var x = Tensor.From<double>([-2.0, -1.0, 0.0, 1.0, 2.0], requiresGrad: true);
        Tensor<double> y = x.Clamp(-1.0, 1.0);
        AssertClose([-1.0, -1.0, 0.0, 1.0, 1.0], y.Data, 0);
        y.Sum().Backward();
        AssertClose([0.0, 1.0, 1.0, 1.0, 0.0], x.Grad!.Data, 0);

        x.Grad = null;
        x.ClampMin(0.0).Sum().Backward();
        AssertClose([0.0, 0.0, 1.0, 1.0, 1.0], x.Grad!.Data, 0);

        x.Grad = null;
        x.ClampMax(0.0).Sum().Backward();
        AssertClose([1.0, 1.0, 1.0, 0.0, 0.0], x.Grad!.Data, 0);
    }

    [Fact]
    public void ClampKeepsNaNAndUsesMaxWhenTheBoundsAreCrossed()
    {
        var x = Tensor.From<double>([double.NaN, -3.0, 3.0]);
        Tensor<double> y = x.Clamp(-1.0, 1.0);
        Assert.True(double.IsNaN(y[0]));
        Assert.Equal([-1.0, 1.0], y.ToArray()[1..]);

        // torch.clamp(x, min=2, max=1) is 1 everywhere.
        AssertClose([1.0, 1.0], Tensor.From<double>([-3.0, 3.0]).Clamp(2.0, 1.0).Data, 0);
    }

    [Fact]
    public void MinimumAndMaximumSplitTheGradientEquallyOnTiesAsInPyTorch()
    {
        var a = Tensor.From<double>([1.0, 2.0, 3.0], requiresGrad: true);
        var b = Tensor.From<double>([2.0, 2.0, 1.0], requiresGrad: true);
        Tensor<double> upper = a.Maximum(b);
        AssertClose([2.0, 2.0, 3.0], upper.Data, 0);
        upper.Sum().Backward();
        AssertClose([0.0, 0.5, 1.0], a.Grad!.Data, 0);
        AssertClose([1.0, 0.5, 0.0], b.Grad!.Data, 0);

        a.Grad = null;
        b.Grad = null;
        Tensor<double> lower = a.Minimum(b);
        AssertClose([1.0, 2.0, 1.0], lower.Data, 0);
        lower.Sum().Backward();
        AssertClose([1.0, 0.5, 0.0], a.Grad!.Data, 0);
        AssertClose([0.0, 0.5, 1.0], b.Grad!.Data, 0);
    }

    [Fact]
    public void KinkGradientsAreTheSameOnTheVectorisedPathAndItsTailInFloatAndDouble()
    {
        // 19 elements: vector blocks of 4 or 8 lanes and a scalar tail; every kink appears in both.
        double[] a = [0, 1, -1, 2, 0.5, 0.5, -3, 0, 1, 2, 2, -1, 0, 0.5, 3, -2, 0, 1, 1];
        double[] b = [0, 2, -1, 1, 0.5, 0.0, -3, 1, 1, 2, 1, -2, 0, 0.5, 3, -1, 1, 1, 0];
        CheckKinks<double>(a, b);
        CheckKinks<float>(a, b);
    }

    private static void CheckKinks<T>(double[] aValues, double[] bValues)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        T[] Convert(double[] values) => Array.ConvertAll(values, T.CreateTruncating);
        double[] Gradient(Tensor<T> t) => Array.ConvertAll(t.Grad!.ToArray(), v => double.CreateTruncating(v));
        var a = Tensor.From<T>(Convert(aValues), requiresGrad: true);
        var b = Tensor.From<T>(Convert(bValues), requiresGrad: true);
        int n = aValues.Length;

        a.Maximum(b).Sum().Backward();
        for (int i = 0; i < n; i++)
        {
            double expected = aValues[i] > bValues[i] ? 1 : aValues[i] == bValues[i] ? 0.5 : 0;
            Assert.Equal(expected, Gradient(a)[i]);
            Assert.Equal(1 - expected, Gradient(b)[i]);
        }

        a.Grad = null;
        b.Grad = null;
        a.Minimum(b).Sum().Backward();
        for (int i = 0; i < n; i++)
        {
            double expected = aValues[i] < bValues[i] ? 1 : aValues[i] == bValues[i] ? 0.5 : 0;
            Assert.Equal(expected, Gradient(a)[i]);
            Assert.Equal(1 - expected, Gradient(b)[i]);
        }

        a.Grad = null;
        a.Clamp(T.Zero, T.One).Sum().Backward();
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(aValues[i] >= 0 && aValues[i] <= 1 ? 1.0 : 0.0, Gradient(a)[i]);
        }

        a.Grad = null;
        a.LeakyRelu(T.CreateTruncating(0.25)).Sum().Backward();
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(aValues[i] > 0 ? 1.0 : 0.25, Gradient(a)[i]);
        }

        T[] mask = a.GreaterThan(b).ToArray();
        T[] below = a.LessThan(b).ToArray();
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(aValues[i] > bValues[i] ? T.One : T.Zero, mask[i]);
            Assert.Equal(aValues[i] < bValues[i] ? T.One : T.Zero, below[i]);
        }

        a.Grad = null;
        b.Grad = null;
        Tensor<T> selected = Tensor.Where(a.GreaterThan(b), a, b);
        selected.Sum().Backward();
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(Math.Max(aValues[i], bValues[i]), double.CreateTruncating(selected[i]));
            Assert.Equal(aValues[i] > bValues[i] ? 1.0 : 0.0, Gradient(a)[i]);
            Assert.Equal(aValues[i] > bValues[i] ? 0.0 : 1.0, Gradient(b)[i]);
        }
    }

    [Fact]
    public void MaximumWithABroadcastScalarSumsItsShareOfTheGradient()
    {
        // maximum(x, 0) as ReLU with a learnable floor: the floor collects one unit per element below it
        // and one half per tie.
        var x = Tensor.From<double>([-1.0, 0.0, 2.0, -3.0], requiresGrad: true);
        var floor = Tensor.Scalar(0.0, requiresGrad: true);
        x.Maximum(floor).Sum().Backward();
        AssertClose([0.0, 0.5, 1.0, 0.0], x.Grad!.Data, 0);
        Assert.Equal(2.5, floor.Grad!.Item());
    }

    [Fact]
    public void MinimumAndMaximumPropagateNaN()
    {
        var a = Tensor.From<double>([double.NaN, 1.0]);
        var b = Tensor.From<double>([0.0, double.NaN]);
        Assert.All(a.Maximum(b).ToArray(), v => Assert.True(double.IsNaN(v)));
        Assert.All(a.Minimum(b).ToArray(), v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void MinimumAndMaximumBroadcastLikeTheReferenceLoop()
    {
        var random = new Random(223);
        Tensor<double> a = Uniform(random, [3, 1], -1, 1, requiresGrad: false);
        Tensor<double> b = Uniform(random, [4], -1, 1, requiresGrad: false);
        Tensor<double> upper = a.Maximum(b);
        Tensor<double> lower = b.Minimum(a);
        Assert.Equal([3, 4], upper.Shape.ToArray());
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 4; c++)
            {
                Assert.Equal(Math.Max(a[r, 0], b[c]), upper[r, c]);
                Assert.Equal(Math.Min(a[r, 0], b[c]), lower[r, c]);
            }
        }
    }

    [Fact]
    public void WhereSelectsWithBroadcastingAndGivesNoGradientToTheCondition()
    {
        var condition = Tensor.From<double>([1.0, 0.0, double.NaN, -2.0], [4], requiresGrad: true);
        var x = Tensor.From<double>([10.0, 20.0, 30.0, 40.0], [1, 4], requiresGrad: true);
        var y = Tensor.From<double>([-1.0, -2.0], [2, 1], requiresGrad: true);

        Tensor<double> selected = Tensor.Where(condition, x, y);

        Assert.Equal([2, 4], selected.Shape.ToArray());
        AssertClose([10.0, -1.0, 30.0, 40.0, 10.0, -2.0, 30.0, 40.0], selected.Data, 0);
        selected.Sum().Backward();
        AssertClose([2.0, 0.0, 2.0, 2.0], x.Grad!.Data, 0);
        AssertClose([1.0, 1.0], y.Grad!.Data, 0);
        Assert.Null(condition.Grad);
    }

    [Fact]
    public void WhereWithAConditionComputedFromTheGraphDoesNotWalkTheConditionsGraph()
    {
        var x = Tensor.From<double>([-1.0, 2.0], requiresGrad: true);
        Tensor<double> condition = x.Relu(); // [0, 2]: requires grad, but Where gives it none.
        Tensor<double> y = Tensor.Where(condition, x.Square(), x);
        y.Sum().Backward();
        AssertClose([1.0, 4.0], x.Grad!.Data, 0);
    }

    [Fact]
    public void WhereDetectsAConditionChangedInPlaceBeforeBackward()
    {
        var condition = Tensor.From<double>([1.0, 0.0]);
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        Tensor<double> y = Tensor.Where(condition, x, x.Square());
        condition[1] = 1.0;
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Fact]
    public void ComparisonMasksAreConstantsWithBroadcasting()
    {
        var a = Tensor.From<double>([1.0, 2.0, double.NaN, 4.0], [2, 2], requiresGrad: true);
        var b = Tensor.From<double>([2.0, 2.0], [2], requiresGrad: true);

        Tensor<double> greater = a.GreaterThan(b);
        Tensor<double> less = a.LessThan(b);

        AssertClose([0.0, 0.0, 0.0, 1.0], greater.Data, 0);
        AssertClose([1.0, 0.0, 0.0, 0.0], less.Data, 0);
        AssertClose([0.0, 0.0, 0.0, 1.0], a.GreaterThan(2.0).Data, 0);
        AssertClose([1.0, 0.0, 0.0, 0.0], a.LessThan(2.0).Data, 0);
        AssertClose([1.0, 1.0, 0.0, 0.0], b.GreaterThan(Tensor.From<double>([1.0, 3.0], [2, 1])).Data, 0);
        Assert.Equal([2, 2], b.LessThan(Tensor.From<double>([1.0, 3.0], [2, 1])).Shape.ToArray());
        Assert.False(greater.RequiresGrad);
        Assert.False(less.RequiresGrad);
        Assert.True(greater.IsLeaf);
    }

    [Fact]
    public void ShapesThatDoNotBroadcastAreRejectedWithTheOperationName()
    {
        var a = Tensor.Zeros<double>([3, 4]);
        var b = Tensor.Zeros<double>([5]);
        Assert.Contains("Maximum", Assert.Throws<ArgumentException>(() => a.Maximum(b)).Message);
        Assert.Contains("Minimum", Assert.Throws<ArgumentException>(() => a.Minimum(b)).Message);
        Assert.Contains("Where", Assert.Throws<ArgumentException>(() => Tensor.Where(a, a, b)).Message);
        Assert.Contains("GreaterThan", Assert.Throws<ArgumentException>(() => a.GreaterThan(b)).Message);
    }

    private static double Reference(string op, double x) => op switch
    {
        "LeakyRelu" => x > 0 ? x : 0.01 * x,
        "LeakyRelu0.2" => x > 0 ? x : 0.2 * x,
        "LeakyRelu-0.5" => x > 0 ? x : -0.5 * x,
        "LeakyRelu2" => x > 0 ? x : 2 * x,
        "Gelu" => x * NormalCdfBySeries(x),
        "GeluTanh" => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x)))),
        "Softplus" => Math.Log(1 + Math.Exp(x)),
        "Softplus2,1" => 2 * x > 1 ? x : Math.Log(1 + Math.Exp(2 * x)) / 2,
        "Square" => x * x,
        "Clamp" => Math.Min(Math.Max(x, -1.0), 0.5),
        "ClampMin" => Math.Max(x, -1.0),
        "ClampMax" => Math.Min(x, 0.5),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    /// <summary>
    /// Phi(x) by Marsaglia's series (J. Stat. Softw. 11(4), 2004), <c>1/2 + phi(x) (x + x^3/3 + x^5/(3*5) + ...)</c>,
    /// whose terms are all of one sign: independent of the erf implementation, absolute error ~1e-16.
    /// </summary>
    private static double NormalCdfBySeries(double x)
    {
        double sum = x;
        double term = x;
        for (int n = 1; n < 200 && Math.Abs(term) > 1e-18 * Math.Abs(sum); n++)
        {
            term *= x * x / ((2 * n) + 1);
            sum += term;
        }

        return 0.5 + (Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI) * sum);
    }
}
