namespace GdTrainer.Tests.Losses;

using GdTrainer.Autograd;
using GdTrainer.Losses;
using static GdTrainer.Tests.Autograd.TestTensors;
using static GdTrainer.Tests.Losses.LossReference;

/// <summary>
/// L1, Huber, Poisson NLL, BCE-with-logits and MSE: value and gradient against the formulas of
/// <see cref="LossReference"/> in double, with and without example weights, over [n] and [n, k];
/// gradchecks of the fused nodes in double; stability and errors.
/// </summary>
public sealed class ElementwiseLossTests
{
    public static TheoryData<string, int, bool> Cases()
    {
        var data = new TheoryData<string, int, bool>();
        foreach (string loss in new[] { "MSE", "L1", "Huber", "Huber0.3", "Poisson", "PoissonFull", "BCE", "BCEPos" })
        {
            foreach (int columns in new[] { 1, 3 })
            {
                data.Add(loss, columns, false);
                data.Add(loss, columns, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossClassValueAndGradientMatchTheFormula(string name, int columns, bool weighted)
    {
        const int rows = 6;
        var random = new Random(name.Length + (10 * columns) + (weighted ? 100 : 0));
        (float[] p, float[] y) = Inputs(name, random, rows * columns);
        float[]? w = weighted ? [0.5f, 2f, 1f, 0f, 3f, 1.5f] : null;
        int[] shape = columns == 1 ? [rows] : [rows, columns];

        var predictions = Tensor.From<float>(p, shape, requiresGrad: true);
        Tensor<float> loss = Create(name).Compute(predictions, Tensor.From<float>(y, shape), w is null ? null : Tensor.From<float>(w));
        loss.Backward();

        (double expected, double[] gradient) = WeightedMean(Reference(name), ToDouble(p), ToDouble(y), w is null ? null : ToDouble(w), columns);
        Assert.Empty(loss.Shape.ToArray());
        Assert.Equal(expected, loss.Item(), 1e-5 * Math.Max(1, Math.Abs(expected)));
        AssertClose(gradient, ToDouble(predictions.Grad!.ToArray()), 1e-5);
    }

    public static TheoryData<string, int> GradCheckCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string loss in new[] { "MSE", "L1", "Huber", "Huber0.3", "Poisson", "PoissonFull", "BCE", "BCEPos" })
        {
            data.Add(loss, 1);
            data.Add(loss, 3);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GradCheckCases))]
    public void FusedNodePassesGradCheckForPredictionAndTarget(string name, int columns)
    {
        const int rows = 4;
        var random = new Random(7 + name.Length + columns);
        (float[] pf, float[] yf) = Inputs(name, random, rows * columns, interiorTargets: true);
        int[] shape = columns == 1 ? [rows] : [rows, columns];
        var p = Tensor.From<double>(ToDouble(pf), shape, requiresGrad: true);
        var y = Tensor.From<double>(ToDouble(yf), shape, requiresGrad: true);
        var w = Tensor.From<double>([0.5, 2.0, 1.0, 1.5]);

        AssertGradCheck(t => Fused(name, t[0], t[1], null), p, y);
        AssertGradCheck(t => Fused(name, t[0], t[1], w), p, y);
    }

    [Theory]
    [InlineData("L1")]
    [InlineData("Huber")]
    [InlineData("Poisson")]
    [InlineData("BCE")]
    public void FusedNodeEqualsTheCompositeFormulaAndScalesWithTheOutputGradient(string name)
    {
        var random = new Random(3);
        (float[] pf, float[] yf) = Inputs(name, random, 8);
        var p = Tensor.From<double>(ToDouble(pf), [4, 2], requiresGrad: true);
        var y = Tensor.From<double>(ToDouble(yf), [4, 2]);
        var w = Tensor.From<double>([0.5, 2.0, 1.0, 1.5]);
        var columnOfWeights = w.Reshape(4, 1);

        Tensor<double> pointwise = name switch
        {
            "L1" => (p - y).Abs(),
            "Huber" => Tensor.Scalar(0.5) * (p - y).Pow(2), // quadratic: every |r| is below the delta of 10 used below
            "Poisson" => p.Exp() - (y * p),
            _ => (Tensor.Scalar(1.0) + (-p).Exp()).Log() + ((Tensor.Scalar(1.0) - y) * p), // softplus(-x) + (1 - y) x
        };
        Tensor<double> composite = (pointwise * columnOfWeights).Sum() / (2 * w.Sum().Item());
        Tensor<double> fused = name == "Huber" ? Functional.HuberLoss(p, y, w, delta: 10) : Fused(name, p, y, w);
        Assert.Equal(composite.Item(), fused.Item(), 1e-12);

        (composite * 3.0).Backward();
        double[] compositeGrad = p.Grad!.ToArray();
        p.Grad = null;
        (fused * 3.0).Backward();
        AssertClose(compositeGrad, p.Grad!.Data, 1e-12);
    }

    [Fact]
    public void BinaryCrossEntropyIsFiniteAndExactAtLogitsOfPlusMinus100()
    {
        var logits = Tensor.From<float>([100f, -100f, 100f, -100f], requiresGrad: true);
        var targets = Tensor.From<float>([0f, 1f, 1f, 0f]);
        Tensor<float> loss = new BinaryCrossEntropyWithLogitsLoss().Compute(logits, targets);
        loss.Backward();

        // Two confidently wrong predictions cost 100 each, two right ones ~e^-100: the mean is 50.
        Assert.Equal(50.0, loss.Item(), 1e-4);
        AssertClose([0.25, -0.25, 0, 0], ToDouble(logits.Grad!.ToArray()), 1e-6);

        logits.Grad = null;
        Tensor<float> weighted = new BinaryCrossEntropyWithLogitsLoss(positiveClassWeight: 3f).Compute(logits, targets);
        weighted.Backward();
        Assert.Equal((100.0 + 300.0) / 4, weighted.Item(), 1e-3);
        AssertClose([0.25, -0.75, 0, 0], ToDouble(logits.Grad!.ToArray()), 1e-6);
        Assert.True(float.IsFinite(weighted.Item()));
    }

    [Theory]
    [InlineData(1f, false, false)]
    [InlineData(2.5f, false, false)]
    [InlineData(1f, true, false)]
    [InlineData(2.5f, true, true)]
    public void BinaryCrossEntropyOverManyElementsMatchesTheFormulaInDouble(float positiveClassWeight, bool weighted, bool asColumn)
    {
        // 203 elements: the vectorized float path takes 8 at a time, the last 3 go through the scalar kernel; logits from -60
        // to 60 cover both branches of the stable form, saturation, and 0.
        const int length = 203;
        var random = new Random(7);
        var x = new float[length];
        var y = new float[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = i % 50 == 0 ? 0f : (float)((random.NextDouble() - 0.5) * (i % 7 == 0 ? 120 : 8));
            y[i] = random.Next(2);
        }

        int[] shape = asColumn ? [length, 1] : [length]; // [n, 1] takes the weights as one per row
        float[]? rowWeights = weighted ? [.. Enumerable.Range(0, length).Select(i => 0.25f + (i % 5))] : null;
        var logits = Tensor.From<float>(x, shape, requiresGrad: true);
        var targets = Tensor.From<float>(y, shape, requiresGrad: true);
        Tensor<float> loss = new BinaryCrossEntropyWithLogitsLoss(positiveClassWeight).Compute(logits, targets, rowWeights is null ? null : Tensor.From<float>(rowWeights));
        loss.Backward();

        double sum = 0;
        double weightSum = 0;
        var dx = new double[length];
        var dy = new double[length];
        for (int i = 0; i < length; i++)
        {
            double w = rowWeights?[i] ?? 1.0;
            double c = 1 + ((positiveClassWeight - 1) * y[i]);
            double softplusOfNegative = Math.Log(1 + Math.Exp(-Math.Abs((double)x[i]))) + Math.Max(-(double)x[i], 0);
            double sigmoid = 1 / (1 + Math.Exp(-(double)x[i]));
            sum += w * (((1 - y[i]) * x[i]) + (c * softplusOfNegative));
            dx[i] = w * ((c * sigmoid) - (positiveClassWeight * y[i]));
            dy[i] = w * (((positiveClassWeight - 1) * softplusOfNegative) - x[i]);
            weightSum += w;
        }

        Assert.Equal(sum / weightSum, loss.Item(), 1e-5 * Math.Max(1, sum / weightSum));
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(dx[i] / weightSum, logits.Grad![i], 1e-7);
            Assert.Equal(dy[i] / weightSum, targets.Grad![i], 1e-6);
        }
    }

    [Fact]
    public void BinaryCrossEntropyGradientKeepsItsPrecisionForVeryNegativeLogits()
    {
        // sigmoid(-20) - 0 = 2.06e-9: a (1 - y) - sigmoid(-x) form would cancel to 0 in float.
        var logits = Tensor.From<float>([-20f], requiresGrad: true);
        new BinaryCrossEntropyWithLogitsLoss().Compute(logits, Tensor.From<float>([0f])).Backward();
        Assert.Equal(1 / (1 + Math.Exp(20)), logits.Grad![0], 1e-15);
    }

    [Fact]
    public void PoissonFullAddsTheStirlingTermOnlyAboveOne()
    {
        var p = Tensor.From<double>([0.3, -0.2, 1.1]);
        var y = Tensor.From<double>([0.0, 1.0, 4.0]);
        double plain = Functional.PoissonNllLoss(p, y).Item();
        double full = Functional.PoissonNllLoss(p, y, full: true).Item();
        double stirling = (4 * Math.Log(4)) - 4 + (0.5 * Math.Log(2 * Math.PI * 4));
        Assert.Equal(plain + (stirling / 3), full, 1e-12);
    }

    [Fact]
    public void HuberIsQuadraticInsideDeltaAndLinearOutside()
    {
        var p = Tensor.From<double>([0.5, 3.0, -4.0], requiresGrad: true);
        Tensor<double> loss = Functional.HuberLoss(p, Tensor.Zeros<double>([3]), delta: 2.0);
        loss.Backward();
        Assert.Equal(((0.5 * 0.25) + (2 * (3 - 1)) + (2 * (4 - 1))) / 3, loss.Item(), 1e-12);
        AssertClose([0.5 / 3, 2.0 / 3, -2.0 / 3], p.Grad!.Data, 1e-12);
    }

    [Fact]
    public void L1AndHuberHaveGradientZeroWherePredictionEqualsTarget()
    {
        var p = Tensor.From<float>([1f, 2f], requiresGrad: true);
        var y = Tensor.From<float>([1f, 0f]);
        new L1Loss().Compute(p, y).Backward();
        Assert.Equal([0f, 0.5f], p.Grad!.ToArray());

        p.Grad = null;
        new HuberLoss().Compute(p, y).Backward();
        Assert.Equal([0f, 0.5f], p.Grad!.ToArray()); // r = 2 is beyond delta = 1: delta sign(r) / n
    }

    [Fact]
    public void RowWeightsOnAMatrixEqualElementWeightsRepeatedAlongTheRow()
    {
        var random = new Random(11);
        Tensor<double> p = Uniform(random, [3, 2], -1, 1);
        Tensor<double> y = Uniform(random, [3, 2], -1, 1, requiresGrad: false);
        var rowWeights = Tensor.From<double>([1.0, 0.0, 2.5]);
        var elementWeights = Tensor.From<double>([1.0, 1.0, 0.0, 0.0, 2.5, 2.5], [3, 2]);
        Assert.Equal(Functional.L1Loss(p, y, elementWeights).Item(), Functional.L1Loss(p, y, rowWeights).Item(), 1e-14);
        Assert.Equal(Functional.MseLoss(p, y, elementWeights).Item(), Functional.MseLoss(p, y, rowWeights).Item(), 1e-14);
        AssertGradCheck(t => Functional.MseLoss(t[0], t[1], rowWeights), p, Tensor.From<double>(y.ToArray(), [3, 2], requiresGrad: true));
    }

    [Fact]
    public void WeightsAreScaleInvariantAndAllOnesEqualsUnweighted()
    {
        var random = new Random(12);
        Tensor<double> p = Uniform(random, [5], -1, 1, requiresGrad: false);
        Tensor<double> y = Uniform(random, [5], -1, 1, requiresGrad: false);
        var w = Tensor.From<double>([0.2, 1.0, 3.0, 0.5, 1.0]);
        var scaled = Tensor.From<double>([2.0, 10.0, 30.0, 5.0, 10.0]);
        Assert.Equal(Functional.HuberLoss(p, y, w).Item(), Functional.HuberLoss(p, y, scaled).Item(), 1e-14);
        Assert.Equal(Functional.HuberLoss(p, y).Item(), Functional.HuberLoss(p, y, Tensor.Ones<double>([5])).Item(), 1e-14);
    }

    [Fact]
    public void NoGraphIsRecordedWithoutGradAndTheGraphIsFreedAfterBackward()
    {
        var p = Tensor.From<float>([1f, 2f], requiresGrad: true);
        var y = Tensor.From<float>([0f, 1f]);
        using (Autograd.NoGrad())
        {
            Assert.Null(new HuberLoss().Compute(p, y).GradFunctionName);
        }

        Assert.Null(new L1Loss().Compute(y, y).GradFunctionName);
        Tensor<float> loss = new PoissonNegativeLogLikelihoodLoss().Compute(p, y);
        Assert.Equal("PoissonNllLoss", loss.GradFunctionName);
        loss.Backward();
        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("PoissonNllLoss", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MSE")]
    [InlineData("L1")]
    [InlineData("Huber")]
    [InlineData("Poisson")]
    [InlineData("BCE")]
    public void ShapeMismatchNamesBothShapes(string name)
    {
        Loss loss = Create(name);
        var error = Assert.Throws<ArgumentException>(() => loss.Compute(Tensor.Zeros([3]), Tensor.Zeros([4])));
        Assert.Contains("[3]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[4]", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => loss.Compute(Tensor.Zeros([3, 2]), Tensor.Zeros([2, 3])));
        Assert.Contains("[3, 2]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 3]", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => loss.Compute(Tensor.Zeros([3, 2]), Tensor.Zeros([3, 2]), Tensor.Ones([2])));
        Assert.Contains("[2]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 2]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1f, "weight 1 is -1")]
    [InlineData(float.NaN, "weight 1 is NaN")]
    [InlineData(float.PositiveInfinity, "weight 1 is Infinity")]
    public void InvalidWeightsAreRejectedWithTheirIndex(float bad, string expected)
    {
        foreach (string name in new[] { "MSE", "L1", "BCE" })
        {
            var error = Assert.Throws<ArgumentException>(() => Create(name).Compute(Tensor.Zeros([3]), Tensor.Zeros([3]), Tensor.From<float>([1f, bad, 1f])));
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void WeightsSummingToZeroOrRequiringGradAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new L1Loss().Compute(Tensor.Zeros([2]), Tensor.Zeros([2]), Tensor.Zeros([2])));
        Assert.Contains("sum to 0", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new HuberLoss().Compute(Tensor.Zeros([2]), Tensor.Zeros([2]), Tensor.Ones([2], requiresGrad: true)));
    }

    [Fact]
    public void OptionsAndTargetsOutOfRangeAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HuberLoss(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HuberLoss(float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryCrossEntropyWithLogitsLoss(-1f));
        var error = Assert.Throws<ArgumentException>(() => new BinaryCrossEntropyWithLogitsLoss().Compute(Tensor.Zeros([3]), Tensor.From<float>([0f, 1f, 2f])));
        Assert.Contains("target 2 is 2", error.Message, StringComparison.Ordinal);
    }

    private static Loss Create(string name) => name switch
    {
        "MSE" => new MeanSquaredErrorLoss(),
        "L1" => new L1Loss(),
        "Huber" => new HuberLoss(),
        "Huber0.3" => new HuberLoss(0.3f),
        "Poisson" => new PoissonNegativeLogLikelihoodLoss(),
        "PoissonFull" => new PoissonNegativeLogLikelihoodLoss(full: true),
        "BCE" => new BinaryCrossEntropyWithLogitsLoss(),
        "BCEPos" => new BinaryCrossEntropyWithLogitsLoss(2.5f),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static Pointwise Reference(string name) => name switch
    {
        "MSE" => Squared,
        "L1" => L1,
        "Huber" => Huber(1),
        "Huber0.3" => Huber(0.3f),
        "Poisson" => Poisson(false),
        "PoissonFull" => Poisson(true),
        "BCE" => BinaryCrossEntropy(1),
        "BCEPos" => BinaryCrossEntropy(2.5f),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static Tensor<double> Fused(string name, Tensor<double> p, Tensor<double> y, Tensor<double>? w) => name switch
    {
        "MSE" => Functional.MseLoss(p, y, w),
        "L1" => Functional.L1Loss(p, y, w),
        "Huber" => Functional.HuberLoss(p, y, w),
        "Huber0.3" => Functional.HuberLoss(p, y, w, delta: 0.3),
        "Poisson" => Functional.PoissonNllLoss(p, y, w),
        "PoissonFull" => Functional.PoissonNllLoss(p, y, w, full: true),
        "BCE" => Functional.BinaryCrossEntropyWithLogits(p, y, w),
        "BCEPos" => Functional.BinaryCrossEntropyWithLogits(p, y, w, positiveClassWeight: 2.5),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>
    /// Inputs away from each loss's kinks: residuals of magnitude 0.05..0.95 or 1.1..2.5 (both sides of a Huber
    /// delta of 1 and 0.3, never at 0), counts 0..6 away from 1 for Poisson, probabilities in [0, 1] for BCE (in
    /// (0.1, 0.9) with <paramref name="interiorTargets"/>, so that a finite-difference step stays in range).
    /// </summary>
    private static (float[] Predictions, float[] Targets) Inputs(string name, Random random, int length, bool interiorTargets = false)
    {
        var p = new float[length];
        var y = new float[length];
        for (int e = 0; e < length; e++)
        {
            if (name.StartsWith("Poisson", StringComparison.Ordinal))
            {
                p[e] = (float)((random.NextDouble() * 3) - 1.5);
                y[e] = (float)(e % 3 == 0 ? random.NextDouble() * 0.8 : 1.3 + (random.NextDouble() * 5));
            }
            else if (name.StartsWith("BCE", StringComparison.Ordinal))
            {
                p[e] = (float)((random.NextDouble() * 8) - 4);
                y[e] = e % 3 == 0 && !interiorTargets ? (e % 2 == 0 ? 0f : 1f) : (float)(0.1 + (random.NextDouble() * 0.8));
            }
            else
            {
                y[e] = (float)((random.NextDouble() * 4) - 2);
                double magnitude = e % 2 == 0 ? 0.05 + (random.NextDouble() * 0.2) : 1.1 + (random.NextDouble() * 1.4);
                if (name == "Huber0.3" && e % 2 == 1)
                {
                    magnitude = 0.35 + (random.NextDouble() * 0.5);
                }

                p[e] = y[e] + (float)(random.Next(2) == 0 ? magnitude : -magnitude);
            }
        }

        return (p, y);
    }
}
