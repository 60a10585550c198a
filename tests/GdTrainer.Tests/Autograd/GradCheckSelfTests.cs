namespace GdTrainer.Tests.Autograd;

using System.Globalization;
using GdTrainer.Autograd;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>
/// <see cref="GradCheck"/> itself: it must reject a deliberately wrong backward, say where, and
/// accept a correct one. The operations under test are custom graph nodes defined here.
/// </summary>
public sealed class GradCheckSelfTests
{
    [Fact]
    public void CorrectCustomSquarePassesAndAgreesWithPow()
    {
        var random = new Random(301);
        Tensor<double> x = AwayFromZero(random, [3, 4]);

        AssertGradCheck(t => SquareNode.Apply(t[0], derivativeFactor: 2.0), x);

        SquareNode.Apply(x, derivativeFactor: 2.0).Sum().Backward();
        double[] custom = x.Grad!.ToArray();
        x.Grad = null;
        x.Pow(2).Sum().Backward();
        AssertClose(x.Grad!.Data, custom, 0);
        Assert.Equal("CustomSquare", SquareNode.Apply(x, 2.0).GradFunctionName);
    }

    [Fact]
    public void SquareWithThreeXInsteadOfTwoXFailsAtTheFirstEntry()
    {
        var random = new Random(303);
        Tensor<double> x = AwayFromZero(random, [3, 4]);

        GradCheckResult result = GradCheck.Run(t => SquareNode.Apply(t[0], derivativeFactor: 3.0), [x]);

        Assert.False(result.Passed);
        Assert.Equal(12 * 12, result.EntriesCompared);
        Assert.Contains("FAILED", result.Summary, StringComparison.Ordinal);
        Assert.Contains("d output[0] / d input0[0]", result.Summary, StringComparison.Ordinal);
        Assert.Contains("analytic " + (3 * x.Data[0]).ToString("G10", CultureInfo.InvariantCulture), result.Summary, StringComparison.Ordinal);

        // The error of entry i is |3 x_i - 2 x_i| = |x_i|.
        double largest = 0;
        foreach (double v in x.Data)
        {
            largest = Math.Max(largest, Math.Abs(v));
        }

        Assert.Equal(largest, result.MaxAbsoluteError, 1e-6);
    }

    [Fact]
    public void SquareWrongAtOneElementIsNamedByItsIndex()
    {
        var random = new Random(307);
        Tensor<double> x = AwayFromZero(random, [3, 4]);

        GradCheckResult result = GradCheck.Run(t => SquareNode.Apply(t[0], derivativeFactor: 2.0, wrongIndex: 6), [x]);

        Assert.False(result.Passed);
        Assert.Contains("d output[6] / d input0[6]", result.Summary, StringComparison.Ordinal);
        Assert.Equal(Math.Abs(x.Data[6]), result.MaxAbsoluteError, 1e-6);
        Assert.Equal(result.Summary, result.ToString());
    }

    [Fact]
    public void ProductThatForgetsItsSecondInputFailsNamingThatInput()
    {
        var random = new Random(311);
        Tensor<double> a = AwayFromZero(random, [4]);
        Tensor<double> b = AwayFromZero(random, [4]);

        GradCheckResult wrong = GradCheck.Run(t => ProductNode.Apply(t[0], t[1], forgetSecond: true), [a, b]);
        GradCheckResult right = GradCheck.Run(t => ProductNode.Apply(t[0], t[1], forgetSecond: false), [a, b]);

        Assert.False(wrong.Passed);
        Assert.Contains("d output[0] / d input1[0]", wrong.Summary, StringComparison.Ordinal);
        Assert.True(right.Passed, right.Summary);
        Assert.Equal(4 * 8, right.EntriesCompared);
    }

    [Fact]
    public void ErrorsWithinToleranceAreAcceptedAndLargerOnesRejected()
    {
        var random = new Random(313);
        Tensor<double> x = AwayFromZero(random, [5]);

        // A relative error of 1e-6 is far inside rtol = 1e-3; 1e-2 is far outside it.
        GradCheckResult close = GradCheck.Run(t => SquareNode.Apply(t[0], derivativeFactor: 2.0 * (1 + 1e-6)), [x]);
        GradCheckResult far = GradCheck.Run(t => SquareNode.Apply(t[0], derivativeFactor: 2.0 * (1 + 1e-2)), [x]);
        GradCheckResult strict = GradCheck.Run(t => SquareNode.Apply(t[0], derivativeFactor: 2.0 * (1 + 1e-6)), [x], absoluteTolerance: 0, relativeTolerance: 1e-8);

        Assert.True(close.Passed, close.Summary);
        Assert.False(far.Passed);
        Assert.False(strict.Passed);
    }

    [Fact]
    public void RunRestoresTheInputsAndClearsTheirGradients()
    {
        var random = new Random(317);
        Tensor<double> x = AwayFromZero(random, [3, 2]);
        double[] before = x.ToArray();
        (x * 5.0).Sum().Backward(); // A stale gradient, which the check must neither use nor leave behind.

        GradCheckResult result = GradCheck.Run(t => t[0].Exp().MatMul(t[0].Transpose()), [x]);

        Assert.True(result.Passed, result.Summary);
        Assert.Equal(before, x.ToArray());
        Assert.Null(x.Grad);
    }

    /// <summary><c>x^2</c> whose backward multiplies by <c>factor * x</c> (2 is right) and optionally by 3x at one element.</summary>
    private sealed class SquareNode : Node<double>
    {
        private readonly double _factor;
        private readonly int _wrongIndex;

        private SquareNode(Tensor<double> input, double factor, int wrongIndex)
            : base(input)
        {
            _factor = factor;
            _wrongIndex = wrongIndex;
        }

        internal override string Name => "CustomSquare";

        internal static Tensor<double> Apply(Tensor<double> x, double derivativeFactor, int wrongIndex = -1)
        {
            var data = new double[x.Length];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = x.Data[i] * x.Data[i];
            }

            Node<double>? node = ShouldRecord(x) ? new SquareNode(x, derivativeFactor, wrongIndex) : null;
            return new Tensor<double>(data, x.Shape.ToArray(), node);
        }

        internal override void Backward(ReadOnlySpan<double> outputGradient)
        {
            ReadOnlySpan<double> x = SavedFirst.Data;
            var local = new double[x.Length];
            for (int i = 0; i < local.Length; i++)
            {
                double factor = i == _wrongIndex ? 3.0 : _factor;
                local[i] = outputGradient[i] * factor * x[i];
            }

            Accumulate(FirstInput, local, OutputDims);
        }
    }

    /// <summary><c>a * b</c> for equal shapes, whose backward can leave out <c>b</c>'s gradient.</summary>
    private sealed class ProductNode : Node<double>
    {
        private readonly bool _forgetSecond;

        private ProductNode(Tensor<double> a, Tensor<double> b, bool forgetSecond)
            : base(a, b) => _forgetSecond = forgetSecond;

        internal override string Name => "CustomProduct";

        internal static Tensor<double> Apply(Tensor<double> a, Tensor<double> b, bool forgetSecond)
        {
            var data = new double[a.Length];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = a.Data[i] * b.Data[i];
            }

            Node<double>? node = ShouldRecord(a, b) ? new ProductNode(a, b, forgetSecond) : null;
            return new Tensor<double>(data, a.Shape.ToArray(), node);
        }

        internal override void Backward(ReadOnlySpan<double> outputGradient)
        {
            ReadOnlySpan<double> a = SavedFirst.Data;
            ReadOnlySpan<double> b = SavedSecond.Data;
            var da = new double[a.Length];
            var db = new double[b.Length];
            for (int i = 0; i < da.Length; i++)
            {
                da[i] = outputGradient[i] * b[i];
                db[i] = _forgetSecond ? 0 : outputGradient[i] * a[i];
            }

            Accumulate(FirstInput, da, OutputDims);
            Accumulate(SecondInput, db, OutputDims);
        }
    }
}
