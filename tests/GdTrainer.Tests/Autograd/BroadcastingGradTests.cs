namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>
/// Every broadcasting pattern the engine supports, for each binary operation and both operand
/// orders: result shape and values against a reference loop, gradients against finite differences
/// and against a loop that sums the local derivatives over the broadcast positions.
/// </summary>
public sealed class BroadcastingGradTests
{
    private const int N = 3;
    private const int D = 4;

    /// <summary>(left shape, right shape, result shape); each is also run with the operands swapped.</summary>
    private static readonly (int[] Left, int[] Right, int[] Result)[] s_patterns =
    [
        ([N, D], [D], [N, D]),
        ([N, D], [1], [N, D]),
        ([N, D], [], [N, D]),
        ([N], [1], [N]),
        ([N], [], [N]),
        ([N, 1], [D], [N, D]),
        ([N, D], [N, 1], [N, D]),
        ([1, D], [N, 1], [N, D]),
        ([N, D], [N, D], [N, D]),
        ([D], [D], [D]),
        ([], [], []),
        ([N], [N, 1], [N, N]),
        ([1, 1], [N, D], [N, D]),
        ([1], [1, D], [1, D]),
        ([N, 1], [], [N, 1]),
    ];

    public static TheoryData<string, int[], int[], int[]> Cases()
    {
        var data = new TheoryData<string, int[], int[], int[]>();
        foreach (string op in new[] { "Add", "Subtract", "Multiply", "Divide" })
        {
            foreach ((int[] left, int[] right, int[] result) in s_patterns)
            {
                data.Add(op, left, right, result);
                if (!left.AsSpan().SequenceEqual(right))
                {
                    data.Add(op, right, left, result);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardHasBroadcastShapeAndReferenceValues(string op, int[] leftShape, int[] rightShape, int[] resultShape)
    {
        var random = new Random(71);
        Tensor<double> a = AwayFromZero(random, leftShape);
        Tensor<double> b = AwayFromZero(random, rightShape);

        Tensor<double> result = GradCheckOpsTests.ApplyBinary(op, a, b);

        Assert.Equal(resultShape, result.Shape.ToArray());
        (int rows, int columns) = RowsColumns(resultShape);
        var expected = new double[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                double x = a.Data[BroadcastIndex(leftShape, r, c)];
                double y = b.Data[BroadcastIndex(rightShape, r, c)];
                expected[(r * columns) + c] = Reference(op, x, y);
            }
        }

        AssertClose(expected, result.Data, 1e-15);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PassesGradCheckWithBothOrEitherOperandRequiringGrad(string op, int[] leftShape, int[] rightShape, int[] resultShape)
    {
        var random = new Random(73);
        Tensor<double> a = AwayFromZero(random, leftShape);
        Tensor<double> b = AwayFromZero(random, rightShape);
        Assert.Equal(resultShape, GradCheckOpsTests.ApplyBinary(op, a, b).Shape.ToArray());
        AssertGradCheck(t => GradCheckOpsTests.ApplyBinary(op, t[0], t[1]), a, b);

        a.RequiresGrad = false;
        AssertGradCheck(t => GradCheckOpsTests.ApplyBinary(op, t[0], t[1]), a, b);

        a.RequiresGrad = true;
        b.RequiresGrad = false;
        AssertGradCheck(t => GradCheckOpsTests.ApplyBinary(op, t[0], t[1]), a, b);

        // Downstream of a nonlinearity so that the incoming gradient differs per position.
        b.RequiresGrad = true;
        AssertGradCheck(t => GradCheckOpsTests.ApplyBinary(op, t[0], t[1]).Tanh().Sum(), a, b);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsSumLocalDerivativesOverBroadcastPositions(string op, int[] leftShape, int[] rightShape, int[] resultShape)
    {
        var random = new Random(79);
        Tensor<double> a = AwayFromZero(random, leftShape);
        Tensor<double> b = AwayFromZero(random, rightShape);
        Tensor<double> upstream = Uniform(random, resultShape, -1, 1, requiresGrad: false);

        GradCheckOpsTests.ApplyBinary(op, a, b).Backward(upstream);

        (int rows, int columns) = RowsColumns(resultShape);
        var expectedA = new double[a.Length];
        var expectedB = new double[b.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                int ia = BroadcastIndex(leftShape, r, c);
                int ib = BroadcastIndex(rightShape, r, c);
                double g = upstream.Data[(r * columns) + c];
                (double dx, double dy) = LocalDerivatives(op, a.Data[ia], b.Data[ib]);
                expectedA[ia] += g * dx;
                expectedB[ib] += g * dy;
            }
        }

        Assert.NotNull(a.Grad);
        Assert.NotNull(b.Grad);
        Assert.Equal(leftShape, a.Grad.Shape.ToArray());
        Assert.Equal(rightShape, b.Grad.Shape.ToArray());
        AssertClose(expectedA, a.Grad.Data, 1e-13);
        AssertClose(expectedB, b.Grad.Data, 1e-13);
    }

    [Fact]
    public void SameTensorOnBothSidesWithBroadcastingAccumulatesBothContributions()
    {
        var random = new Random(83);
        Tensor<double> column = AwayFromZero(random, [N, 1]);
        Tensor<double> row = column.Reshape(1, N);

        // (column * row)[i, j] = x_i x_j, so d sum / d x_k = 2 * sum(x).
        column.Multiply(row).Sum().Backward();

        double total = column.ToArray().Sum();
        Assert.NotNull(column.Grad);
        AssertClose([2 * total, 2 * total, 2 * total], column.Grad.Data, 1e-13);
        AssertGradCheck(t => t[0].Multiply(t[0].Reshape(1, N)), column);
    }

    private static (int Rows, int Columns) RowsColumns(int[] shape) =>
        (shape.Length == 2 ? shape[0] : 1, shape.Length >= 1 ? shape[^1] : 1);

    private static double Reference(string op, double x, double y) => op switch
    {
        "Add" => x + y,
        "Subtract" => x - y,
        "Multiply" => x * y,
        "Divide" => x / y,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    private static (double Dx, double Dy) LocalDerivatives(string op, double x, double y) => op switch
    {
        "Add" => (1, 1),
        "Subtract" => (1, -1),
        "Multiply" => (y, x),
        "Divide" => (1 / y, -x / (y * y)),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };
}
