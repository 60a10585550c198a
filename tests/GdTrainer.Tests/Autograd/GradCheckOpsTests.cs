namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>
/// Every differentiable operation checked against central finite differences in double precision
/// with <see cref="GradCheck"/>'s default tolerances, and its forward values against <see cref="Math"/>.
/// </summary>
public sealed class GradCheckOpsTests
{
    public static TheoryData<string, int[]> UnaryCases()
    {
        var data = new TheoryData<string, int[]>();
        string[] ops = ["Negate", "Exp", "Log", "Sqrt", "Abs", "Tanh", "Sigmoid", "Relu", "Pow2", "Pow3", "Pow0.5", "Pow-1"];
        int[][] shapes = [[], [4], [3, 4]];
        foreach (string op in ops)
        {
            foreach (int[] shape in shapes)
            {
                data.Add(op, shape);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void UnaryOpPassesGradCheck(string op, int[] shape)
    {
        var random = new Random(17 + op.Length + shape.Length);
        Tensor<double> x = UnaryInput(op, random, shape);
        AssertGradCheck(t => ApplyUnary(op, t[0]), x);
    }

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void UnaryOpForwardMatchesMath(string op, int[] shape)
    {
        var random = new Random(23 + op.Length);
        Tensor<double> x = UnaryInput(op, random, shape);
        Tensor<double> y = ApplyUnary(op, x);

        Assert.Equal(shape, y.Shape.ToArray());
        var expected = new double[x.Length];
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = UnaryReference(op, x.Data[i]);
        }

        AssertClose(expected, y.Data, 1e-14);
        Assert.Equal(op.StartsWith("Pow", StringComparison.Ordinal) ? "Pow" : op, y.GradFunctionName);
    }

    [Fact]
    public void PowOfNegativeInputsWithIntegerExponentsMatchesMathAndGradCheck()
    {
        var x = Tensor.From<double>([-2.0, -0.7, 1.3, -1.1], requiresGrad: true);
        double[] cubes = [-8.0, -0.343, 2.197, -1.331];
        AssertClose(cubes, x.Pow(3).Data, 1e-13);
        AssertGradCheck(t => t[0].Pow(3), x);
        AssertGradCheck(t => t[0].Pow(2), x);
    }

    [Fact]
    public void AbsAndReluHaveGradientZeroAtZero()
    {
        var x = Tensor.From<double>([-1.5, 0.0, 2.0], requiresGrad: true);
        x.Abs().Sum().Backward();
        AssertClose([-1.0, 0.0, 1.0], x.Grad!.Data, 0);

        x.Grad = null;
        x.Relu().Sum().Backward();
        AssertClose([0.0, 0.0, 1.0], x.Grad!.Data, 0);
    }

    [Fact]
    public void PowWithExponentZeroHasGradientZeroEverywhere()
    {
        // x^0 is 1 for every x (IEEE pow(0, 0) = 1), so its derivative is 0 everywhere, including at 0.
        var x = Tensor.From<double>([-1.5, 0.0, 2.0], requiresGrad: true);
        Tensor<double> y = x.Pow(0);
        AssertClose([1.0, 1.0, 1.0], y.Data, 0);

        y.Sum().Backward();

        AssertClose([0.0, 0.0, 0.0], x.Grad!.Data, 0);
    }

    [Fact]
    public void OpsOnWrappedTensorsWithAnOffsetPassGradCheck()
    {
        double[] storage = [9, 9, 0.5, -1.0, 1.5, 0.25, -0.75, 2.0, 1.25, -0.5, 0.75, 9];
        Tensor<double> a = Tensor.Wrap(storage, 2, [2, 3]);
        Tensor<double> b = Tensor.Wrap(storage, 8, [3]);
        a.RequiresGrad = true;
        b.RequiresGrad = true;
        AssertGradCheck(t => t[0].MatMul(t[0].Transpose()).Sum(1) + (t[0] * t[1]).Mean(0).Sum(), a, b);
        Assert.Equal([9.0, 9, 0.5, -1.0, 1.5, 0.25, -0.75, 2.0, 1.25, -0.5, 0.75, 9], storage);
    }

    public static TheoryData<string> BinaryOps() => new() { "Add", "Subtract", "Multiply", "Divide" };

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void BinaryOpOnEqualShapesPassesGradCheck(string op)
    {
        var random = new Random(5);
        Tensor<double> a = AwayFromZero(random, [3, 4]);
        Tensor<double> b = AwayFromZero(random, [3, 4]);
        AssertGradCheck(t => ApplyBinary(op, t[0], t[1]), a, b);
    }

    [Theory]
    [InlineData(3, 4, 5)]
    [InlineData(1, 4, 1)]
    [InlineData(5, 1, 3)]
    public void MatMulMatrixByMatrixPassesGradCheck(int n, int d, int k)
    {
        var random = new Random(n + (10 * d) + (100 * k));
        Tensor<double> a = Uniform(random, [n, d], -1, 1);
        Tensor<double> b = Uniform(random, [d, k], -1, 1);
        AssertGradCheck(t => t[0].MatMul(t[1]), a, b);
    }

    // Widths below, at and between multiples of the SIMD width, so every path of the matrix-vector kernels runs.
    [Theory]
    [InlineData(3, 4)]
    [InlineData(5, 3)]
    [InlineData(4, 7)]
    [InlineData(6, 9)]
    [InlineData(7, 20)]
    public void MatMulMatrixByVectorPassesGradCheck(int n, int d)
    {
        var random = new Random(31 + d);
        Tensor<double> a = Uniform(random, [n, d], -1, 1);
        Tensor<double> b = Uniform(random, [d], -1, 1);
        AssertGradCheck(t => t[0].MatMul(t[1]), a, b);
    }

    [Fact]
    public void MatMulVectorByMatrixPassesGradCheck()
    {
        var random = new Random(32);
        Tensor<double> a = Uniform(random, [4], -1, 1);
        Tensor<double> b = Uniform(random, [4, 3], -1, 1);
        AssertGradCheck(t => t[0].MatMul(t[1]), a, b);
    }

    [Fact]
    public void MatMulVectorByVectorPassesGradCheck()
    {
        var random = new Random(33);
        Tensor<double> a = Uniform(random, [4], -1, 1);
        Tensor<double> b = Uniform(random, [4], -1, 1);
        AssertGradCheck(t => t[0].MatMul(t[1]), a, b);
    }

    [Fact]
    public void MatMulWithOneOperandConstantPassesGradCheck()
    {
        var random = new Random(34);
        Tensor<double> a = Uniform(random, [3, 4], -1, 1);
        Tensor<double> b = Uniform(random, [4, 2], -1, 1, requiresGrad: false);
        AssertGradCheck(t => t[0].MatMul(t[1]), a, b);

        Tensor<double> left = Uniform(random, [2, 3], -1, 1, requiresGrad: false);
        AssertGradCheck(t => t[0].MatMul(t[1]), left, a);
    }

    [Theory]
    [InlineData(new[] { 3, 4 })]
    [InlineData(new[] { 1, 5 })]
    [InlineData(new[] { 4 })]
    [InlineData(new int[0])]
    public void TransposePassesGradCheck(int[] shape)
    {
        var random = new Random(41);
        Tensor<double> x = Uniform(random, shape, -1, 1);
        Tensor<double> weights = Uniform(random, shape.Length == 2 ? [shape[1], shape[0]] : shape, -1, 1, requiresGrad: false);

        // Multiplying by fixed, distinct weights makes every position of the result distinguishable.
        AssertGradCheck(t => t[0].Transpose().Multiply(weights), x);
        AssertGradCheck(t => t[0].Transpose(), x);
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 4, 3 })]
    [InlineData(new[] { 3, 4 }, new[] { 12 })]
    [InlineData(new[] { 12 }, new[] { 2, 6 })]
    [InlineData(new[] { 12 }, new[] { 12, 1 })]
    [InlineData(new[] { 1 }, new int[0])]
    public void ReshapePassesGradCheck(int[] from, int[] to)
    {
        var random = new Random(43);
        Tensor<double> x = Uniform(random, from, -1, 1);
        Tensor<double> weights = Uniform(random, to, -1, 1, requiresGrad: false);
        AssertGradCheck(t => t[0].Reshape(to).Multiply(weights), x);
        AssertGradCheck(t => t[0].Reshape(to).Exp(), x);
    }

    public static TheoryData<int[], int?, bool, bool> ReductionCases()
    {
        var data = new TheoryData<int[], int?, bool, bool>();
        foreach (bool mean in new[] { false, true })
        {
            data.Add([], null, false, mean);
            data.Add([4], null, false, mean);
            data.Add([3, 4], null, false, mean);
            foreach (bool keepDim in new[] { false, true })
            {
                data.Add([4], 0, keepDim, mean);
                data.Add([4], -1, keepDim, mean);
                data.Add([3, 4], 0, keepDim, mean);
                data.Add([3, 4], 1, keepDim, mean);
                data.Add([3, 4], -1, keepDim, mean);
                data.Add([1, 4], 0, keepDim, mean);
                data.Add([3, 1], 1, keepDim, mean);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ReductionCases))]
    public void ReductionPassesGradCheck(int[] shape, int? axis, bool keepDim, bool mean)
    {
        var random = new Random(47);
        Tensor<double> x = Uniform(random, shape, -1, 1);
        AssertGradCheck(t => Reduce(t[0], axis, keepDim, mean), x);

        // Downstream of a nonlinearity, so that the incoming gradient is not all ones.
        AssertGradCheck(t => Reduce(t[0], axis, keepDim, mean).Exp(), x);
    }

    [Theory]
    [MemberData(nameof(ReductionCases))]
    public void ReductionForwardMatchesReferenceLoop(int[] shape, int? axis, bool keepDim, bool mean)
    {
        var random = new Random(53);
        Tensor<double> x = Uniform(random, shape, -1, 1);
        Tensor<double> y = Reduce(x, axis, keepDim, mean);

        int rows = shape.Length == 2 ? shape[0] : 1;
        int columns = shape.Length >= 1 ? shape[^1] : 1;
        double[] data = x.ToArray();
        double[] expected;
        int[] expectedShape;
        if (axis is null)
        {
            double total = 0;
            foreach (double value in data)
            {
                total += value;
            }

            expected = [mean ? total / data.Length : total];
            expectedShape = [];
        }
        else if (shape.Length == 2 && (axis == 0 || axis == -2))
        {
            expected = new double[columns];
            for (int c = 0; c < columns; c++)
            {
                for (int r = 0; r < rows; r++)
                {
                    expected[c] += data[(r * columns) + c];
                }

                expected[c] = mean ? expected[c] / rows : expected[c];
            }

            expectedShape = keepDim ? [1, columns] : [columns];
        }
        else
        {
            expected = new double[rows];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    expected[r] += data[(r * columns) + c];
                }

                expected[r] = mean ? expected[r] / columns : expected[r];
            }

            expectedShape = shape.Length == 2 ? (keepDim ? [rows, 1] : [rows]) : (keepDim ? [1] : []);
        }

        Assert.Equal(expectedShape, y.Shape.ToArray());
        AssertClose(expected, y.Data, 1e-13);
    }

    public static TheoryData<string> ScalarOperatorCases() => new()
    {
        "x + s", "s + x", "x - s", "s - x", "x * s", "s * x", "x / s", "s / x", "-x",
    };

    [Theory]
    [MemberData(nameof(ScalarOperatorCases))]
    public void OperatorWithScalarPassesGradCheckAndComputesTheRightValues(string expression)
    {
        var random = new Random(59);
        Tensor<double> x = AwayFromZero(random, [3, 4]);
        const double s = 2.5;
        Func<IReadOnlyList<Tensor<double>>, Tensor<double>> function = expression switch
        {
            "x + s" => t => t[0] + s,
            "s + x" => t => s + t[0],
            "x - s" => t => t[0] - s,
            "s - x" => t => s - t[0],
            "x * s" => t => t[0] * s,
            "s * x" => t => s * t[0],
            "x / s" => t => t[0] / s,
            "s / x" => t => s / t[0],
            "-x" => t => -t[0],
            _ => throw new ArgumentOutOfRangeException(nameof(expression), expression, null),
        };
        Func<double, double> reference = expression switch
        {
            "x + s" => v => v + s,
            "s + x" => v => s + v,
            "x - s" => v => v - s,
            "s - x" => v => s - v,
            "x * s" => v => v * s,
            "s * x" => v => s * v,
            "x / s" => v => v / s,
            "s / x" => v => s / v,
            _ => v => -v,
        };

        Tensor<double> y = function([x]);
        Assert.Equal([3, 4], y.Shape.ToArray());
        var expected = new double[x.Length];
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = reference(x.Data[i]);
        }

        AssertClose(expected, y.Data, 1e-15);
        AssertGradCheck(function, x);
    }

    [Fact]
    public void OperatorsOnTensorsMatchTheNamedMethods()
    {
        var random = new Random(61);
        Tensor<double> a = AwayFromZero(random, [3, 4]);
        Tensor<double> b = AwayFromZero(random, [4]);
        AssertClose(a.Add(b).Data, (a + b).Data, 0);
        AssertClose(a.Subtract(b).Data, (a - b).Data, 0);
        AssertClose(a.Multiply(b).Data, (a * b).Data, 0);
        AssertClose(a.Divide(b).Data, (a / b).Data, 0);
        AssertGradCheck(t => (t[0] + t[1]) * (t[0] - t[1]) / t[1], a, b);
    }

    internal static Tensor<double> ApplyBinary(string op, Tensor<double> a, Tensor<double> b) => op switch
    {
        "Add" => a.Add(b),
        "Subtract" => a.Subtract(b),
        "Multiply" => a.Multiply(b),
        "Divide" => a.Divide(b),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    private static Tensor<double> Reduce(Tensor<double> x, int? axis, bool keepDim, bool mean) => (axis, mean) switch
    {
        (null, false) => x.Sum(),
        (null, true) => x.Mean(),
        ({ } a, false) => x.Sum(a, keepDim),
        ({ } a, true) => x.Mean(a, keepDim),
    };

    private static Tensor<double> UnaryInput(string op, Random random, int[] shape) => op switch
    {
        "Log" or "Sqrt" or "Pow0.5" or "Pow-1" or "Pow3" => Uniform(random, shape, 0.5, 2.0),
        "Abs" or "Relu" => AwayFromZero(random, shape),
        _ => Uniform(random, shape, -2.0, 2.0),
    };

    private static Tensor<double> ApplyUnary(string op, Tensor<double> x) => op switch
    {
        "Negate" => x.Negate(),
        "Exp" => x.Exp(),
        "Log" => x.Log(),
        "Sqrt" => x.Sqrt(),
        "Abs" => x.Abs(),
        "Tanh" => x.Tanh(),
        "Sigmoid" => x.Sigmoid(),
        "Relu" => x.Relu(),
        "Pow2" => x.Pow(2),
        "Pow3" => x.Pow(3),
        "Pow0.5" => x.Pow(0.5),
        "Pow-1" => x.Pow(-1),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    private static double UnaryReference(string op, double x) => op switch
    {
        "Negate" => -x,
        "Exp" => Math.Exp(x),
        "Log" => Math.Log(x),
        "Sqrt" => Math.Sqrt(x),
        "Abs" => Math.Abs(x),
        "Tanh" => Math.Tanh(x),
        "Sigmoid" => 1.0 / (1.0 + Math.Exp(-x)),
        "Relu" => x > 0 ? x : 0,
        "Pow2" => x * x,
        "Pow3" => x * x * x,
        "Pow0.5" => Math.Sqrt(x),
        "Pow-1" => 1.0 / x,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };
}
