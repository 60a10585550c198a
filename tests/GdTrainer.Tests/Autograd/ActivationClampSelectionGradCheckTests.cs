namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>
/// The activation, clamping and selection operations checked against central finite differences in
/// double precision with <see cref="GradCheck"/>'s default tolerances, at points away from their kinks
/// (the kinks are pinned to PyTorch's choices in <see cref="ActivationClampSelectionForwardTests"/>).
/// </summary>
public sealed class ActivationClampSelectionGradCheckTests
{
    internal static readonly string[] UnaryOps =
    [
        "LeakyRelu", "LeakyRelu0.2", "LeakyRelu-0.5", "LeakyRelu2", "Gelu", "GeluTanh", "Softplus", "Softplus2,1",
        "Square", "Clamp", "ClampMin", "ClampMax",
    ];

    public static TheoryData<string, int[]> UnaryCases()
    {
        var data = new TheoryData<string, int[]>();
        int[][] shapes = [[], [5], [3, 4]];
        foreach (string op in UnaryOps)
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
        var random = new Random(101 + op.Length + (7 * shape.Length));
        Tensor<double> x = KinkFreeInput(op, random, shape);
        AssertGradCheck(t => ApplyUnary(op, t[0]), x);

        // Downstream of another operation, so the incoming gradient is not all ones.
        AssertGradCheck(t => ApplyUnary(op, t[0]).Multiply(t[0]), x);
    }

    [Fact]
    public void GeluPassesGradCheckFarIntoBothTails()
    {
        var x = Tensor.From<double>([-9.0, -6.5, -4.2, -2.7, 2.9, 4.4, 7.0], requiresGrad: true);
        AssertGradCheck(t => t[0].Gelu(), x);
        AssertGradCheck(t => t[0].Gelu(tanhApproximation: true), x);
    }

    [Fact]
    public void SoftplusPassesGradCheckOnBothSidesOfItsThreshold()
    {
        var x = Tensor.From<double>([-100.0, -30.0, -5.0, 19.5, 20.5, 40.0, 1e4], requiresGrad: true);
        AssertGradCheck(t => t[0].Softplus(), x);
        AssertGradCheck(t => t[0].Softplus(0.5, 5.0), x);
    }

    /// <summary>(left shape, right shape): every broadcasting pattern of rank 0-2, each also run swapped.</summary>
    private static readonly (int[] Left, int[] Right)[] s_broadcastPatterns =
    [
        ([3, 4], [3, 4]),
        ([3, 4], [4]),
        ([3, 4], []),
        ([3, 4], [3, 1]),
        ([3, 1], [4]),
        ([1, 4], [3, 1]),
        ([4], [1]),
        ([4], [4]),
        ([], []),
        ([3], [3, 1]),
    ];

    public static TheoryData<string, int[], int[]> ExtremumCases()
    {
        var data = new TheoryData<string, int[], int[]>();
        foreach (string op in new[] { "Minimum", "Maximum" })
        {
            foreach ((int[] left, int[] right) in s_broadcastPatterns)
            {
                data.Add(op, left, right);
                if (!left.AsSpan().SequenceEqual(right))
                {
                    data.Add(op, right, left);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ExtremumCases))]
    public void MinimumAndMaximumPassGradCheckWithBroadcasting(string op, int[] leftShape, int[] rightShape)
    {
        var random = new Random(131 + leftShape.Length + (3 * rightShape.Length));
        Tensor<double> a = Uniform(random, leftShape, -1, 1);
        Tensor<double> b = Uniform(random, rightShape, -1, 1);
        Func<IReadOnlyList<Tensor<double>>, Tensor<double>> function = op == "Minimum"
            ? t => t[0].Minimum(t[1])
            : t => t[0].Maximum(t[1]);
        AssertGradCheck(function, a, b);
        AssertGradCheck(t => function(t).Exp(), a, b);
    }

    public static TheoryData<int[], int[], int[]> WhereCases() => new()
    {
        { [3, 4], [3, 4], [3, 4] },
        { [3, 4], [4], [] },
        { [3, 1], [1, 4], [4] },
        { [4], [3, 4], [3, 1] },
        { [], [3, 4], [3, 4] },
        { [3, 4], [], [] },
        { [1, 4], [3, 1], [] },
        { [5], [5], [1] },
    };

    [Theory]
    [MemberData(nameof(WhereCases))]
    public void WherePassesGradCheckWithBroadcastingAmongTheThree(int[] conditionShape, int[] xShape, int[] yShape)
    {
        var random = new Random(151 + conditionShape.Length);
        Tensor<double> condition = RandomMask(random, conditionShape);
        Tensor<double> x = Uniform(random, xShape, -1, 1);
        Tensor<double> y = Uniform(random, yShape, -1, 1);
        AssertGradCheck(t => Tensor.Where(condition, t[0], t[1]), x, y);
        AssertGradCheck(t => Tensor.Where(condition, t[0].Exp(), t[1].Square()), x, y);
    }

    [Fact]
    public void HuberWrittenWithWhereAndMasksPassesGradCheck()
    {
        // PyTorch's HuberLoss: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta).
        const double delta = 0.6;
        var random = new Random(157);
        Tensor<double> prediction = Uniform(random, [4, 3], -2, 2);
        Tensor<double> target = Uniform(random, [4, 3], -2, 2, requiresGrad: false);
        AssertGradCheck(
            t =>
            {
                Tensor<double> d = t[0] - t[1];
                Tensor<double> absolute = d.Abs();
                return Tensor.Where(absolute.LessThan(delta), 0.5 * d.Square(), delta * (absolute - (0.5 * delta))).Mean();
            },
            prediction,
            target);
    }

    internal static Tensor<double> RandomMask(Random random, int[] shape)
    {
        var values = new double[Count(shape)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = random.Next(2);
        }

        return Tensor.From<double>(values, shape);
    }

    /// <summary>Inputs at least 0.05 away from every kink and threshold of the operation.</summary>
    internal static Tensor<double> KinkFreeInput(string op, Random random, int[] shape)
    {
        var values = new double[Count(shape)];
        for (int i = 0; i < values.Length; i++)
        {
            double value;
            do
            {
                value = -2.5 + (5 * random.NextDouble());
            }
            while (NearKink(op, value));

            values[i] = value;
        }

        return Tensor.From<double>(values, shape, requiresGrad: true);
    }

    private static bool NearKink(string op, double x) => op switch
    {
        "Clamp" => Math.Abs(x + 1.0) < 0.05 || Math.Abs(x - 0.5) < 0.05,
        "ClampMin" => Math.Abs(x + 1.0) < 0.05,
        "ClampMax" => Math.Abs(x - 0.5) < 0.05,
        "Softplus2,1" => Math.Abs((2 * x) - 1) < 0.05,
        _ => Math.Abs(x) < 0.05,
    };

    internal static Tensor<T> ApplyUnary<T>(string op, Tensor<T> x)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => op switch
    {
        "LeakyRelu" => x.LeakyRelu(),
        "LeakyRelu0.2" => x.LeakyRelu(T.CreateTruncating(0.2)),
        "LeakyRelu-0.5" => x.LeakyRelu(T.CreateTruncating(-0.5)),
        "LeakyRelu2" => x.LeakyRelu(T.CreateTruncating(2)),
        "Gelu" => x.Gelu(),
        "GeluTanh" => x.Gelu(tanhApproximation: true),
        "Softplus" => x.Softplus(),
        "Softplus2,1" => x.Softplus(T.CreateTruncating(2), T.One),
        "Square" => x.Square(),
        "Clamp" => x.Clamp(-T.One, T.CreateTruncating(0.5)),
        "ClampMin" => x.ClampMin(-T.One),
        "ClampMax" => x.ClampMax(T.CreateTruncating(0.5)),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };
}
