namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>
/// LogSoftmax, Softmax and LogSumExp along each axis: full Jacobians against finite differences in
/// double, forward values against the textbook formula evaluated in double by a reference loop.
/// </summary>
public sealed class SoftmaxOpsTests
{
    public static TheoryData<string, int[], int> AxisCases()
    {
        var data = new TheoryData<string, int[], int>();
        (int[] Shape, int Axis)[] cases =
        [
            ([5], 0), ([5], -1), ([1], 0), ([3, 4], 0), ([3, 4], 1), ([3, 4], -1), ([3, 4], -2), ([1, 4], 0), ([1, 4], 1), ([3, 1], 0), ([3, 1], 1),
        ];
        foreach (string op in new[] { "LogSoftmax", "Softmax", "LogSumExp", "LogSumExpKeepDim" })
        {
            foreach ((int[] shape, int axis) in cases)
            {
                data.Add(op, shape, axis);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AxisCases))]
    public void PassesGradCheckAlongTheAxis(string op, int[] shape, int axis)
    {
        var random = new Random(307 + shape.Length + (3 * axis));
        Tensor<double> x = Uniform(random, shape, -3, 3);
        AssertGradCheck(t => Apply(op, t[0], axis), x);

        // Downstream of a nonlinearity, and fed by one, so neither gradient is trivial.
        AssertGradCheck(t => Apply(op, t[0].Tanh() * 4.0, axis).Exp(), x);
    }

    [Theory]
    [MemberData(nameof(AxisCases))]
    public void ForwardMatchesTheTextbookFormula(string op, int[] shape, int axis)
    {
        var random = new Random(311 + shape.Length);
        Tensor<double> x = Uniform(random, shape, -5, 5, requiresGrad: false);
        (double[] expected, int[] expectedShape) = Reference(op, x.ToArray(), shape, axis);

        Tensor<double> y = Apply(op, x, axis);

        Assert.Equal(expectedShape, y.Shape.ToArray());
        AssertClose(expected, y.Data, 1e-14);

        Tensor<float> xf = Tensor.From<float>(Array.ConvertAll(x.ToArray(), v => (float)v), shape);
        (double[] expectedFromFloats, _) = Reference(op, Array.ConvertAll(xf.ToArray(), v => (double)v), shape, axis);
        AssertClose(expectedFromFloats, Array.ConvertAll(Apply(op, xf, axis).ToArray(), v => (double)v), 2e-6);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    public void SoftmaxSumsToOneAndIsTheExponentialOfLogSoftmax(int axis)
    {
        var random = new Random(313);
        Tensor<double> x = Uniform(random, [6, 5], -10, 10, requiresGrad: false);
        Tensor<double> probabilities = x.Softmax(axis);
        AssertClose(Tensor.Ones<double>(axis == 0 ? [5] : [6]).Data, probabilities.Sum(axis).Data, 1e-15);
        AssertClose(probabilities.Data, x.LogSoftmax(axis).Exp().Data, 1e-15);
        AssertClose(x.LogSumExp(axis, keepDim: true).Data, (x - x.LogSoftmax(axis)).Mean(axis, keepDim: true).Data, 1e-14);
    }

    [Fact]
    public void OpsRecordTheirNamesAndNothingWithoutGrad()
    {
        var x = Tensor.From<double>([0.3, -1.2, 2.0], requiresGrad: true);
        Assert.Equal("LogSoftmax", x.LogSoftmax().GradFunctionName);
        Assert.Equal("Softmax", x.Softmax().GradFunctionName);
        Assert.Equal("LogSumExp", x.LogSumExp(0).GradFunctionName);
        Assert.False(x.Detach().LogSoftmax().RequiresGrad);
        Assert.False(x.Detach().LogSumExp(0).RequiresGrad);
    }

    [Fact]
    public void CrossEntropyWrittenWithLogSoftmaxPassesGradCheck()
    {
        // -sum(onehot * log_softmax(logits)) / n: the loss helper's formula on the engine's ops.
        var random = new Random(317);
        Tensor<double> logits = Uniform(random, [5, 4], -2, 2);
        var oneHot = Tensor.Zeros<double>([5, 4]);
        for (int row = 0; row < 5; row++)
        {
            oneHot[row, random.Next(4)] = 1.0;
        }

        AssertGradCheck(t => -(t[0].LogSoftmax() * oneHot).Sum() / 5.0, logits);
    }

    [Fact]
    public void InvalidAxesAreRejectedWithTheOperationAndShape()
    {
        var matrix = Tensor.Zeros<double>([2, 3]);
        var scalar = Tensor.Scalar(1.0);
        Assert.Contains("LogSoftmax", Assert.Throws<ArgumentOutOfRangeException>(() => matrix.LogSoftmax(2)).Message);
        Assert.Contains("[2, 3]", Assert.Throws<ArgumentOutOfRangeException>(() => matrix.Softmax(-3)).Message);
        Assert.Contains("scalar", Assert.Throws<ArgumentOutOfRangeException>(() => scalar.LogSumExp(0)).Message);
    }

    [Fact]
    public void EmptyTensorsGiveEmptyResultsAndLogSumExpOfNothingIsMinusInfinity()
    {
        var empty = Tensor.Zeros<double>([0, 3]);
        Assert.Equal([0, 3], empty.LogSoftmax().Shape.ToArray());
        Assert.Equal([0, 3], empty.Softmax(0).Shape.ToArray());
        Assert.Equal([0], empty.LogSumExp(1).Shape.ToArray());
        Assert.All(empty.LogSumExp(0).ToArray(), v => Assert.Equal(double.NegativeInfinity, v));
    }

    internal static Tensor<T> Apply<T>(string op, Tensor<T> x, int axis)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => op switch
    {
        "LogSoftmax" => x.LogSoftmax(axis),
        "Softmax" => x.Softmax(axis),
        "LogSumExp" => x.LogSumExp(axis),
        "LogSumExpKeepDim" => x.LogSumExp(axis, keepDim: true),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    /// <summary>The formula as written, <c>log(sum(exp(x)))</c> without any shift (safe for |x| &lt;= 5), by loops over the axis.</summary>
    private static (double[] Values, int[] Shape) Reference(string op, double[] x, int[] shape, int axis)
    {
        int rows = shape.Length == 2 ? shape[0] : 1;
        int columns = shape[^1];
        bool downColumns = shape.Length == 2 && (axis == 0 || axis == -2);
        int groups = downColumns ? columns : rows;
        int groupLength = downColumns ? rows : columns;
        int IndexOf(int group, int i) => downColumns ? (i * columns) + group : (group * columns) + i;

        var logSumExp = new double[groups];
        for (int group = 0; group < groups; group++)
        {
            double sum = 0;
            for (int i = 0; i < groupLength; i++)
            {
                sum += Math.Exp(x[IndexOf(group, i)]);
            }

            logSumExp[group] = Math.Log(sum);
        }

        if (op.StartsWith("LogSumExp", StringComparison.Ordinal))
        {
            bool keepDim = op.EndsWith("KeepDim", StringComparison.Ordinal);
            int[] reducedShape = (shape.Length, keepDim) switch
            {
                (1, false) => [],
                (1, true) => [1],
                (_, false) => [groups],
                _ => downColumns ? [1, columns] : [rows, 1],
            };
            return (logSumExp, reducedShape);
        }

        var result = new double[x.Length];
        for (int group = 0; group < groups; group++)
        {
            for (int i = 0; i < groupLength; i++)
            {
                int index = IndexOf(group, i);
                result[index] = op == "Softmax" ? Math.Exp(x[index]) / Math.Exp(logSumExp[group]) : x[index] - logSumExp[group];
            }
        }

        return (result, shape);
    }
}
