namespace GdTrainer.Tests.Autograd;

using CsCheck;
using GdTrainer.Autograd;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>
/// Property-based tests (CsCheck generators): for random shapes of rank 0 to 2 with dimensions 1 to 4 and random
/// broadcast-compatible pairs, the elementwise binary operations, MatMul, Functional.Linear and the Sum/Mean
/// reductions give the forward values and gradients of references written independently here in double with plain
/// loops (broadcasting written out by hand, the gradient summed over the broadcast dimensions), or pass GradCheck.
/// Every property runs a fixed number of cases from a fixed PCG seed, so a run is deterministic; a failure names the
/// case number and prints the generated case.
/// </summary>
public sealed class PropertyTests
{
    private const int Cases = 200;

    /// <summary>A shape of rank 0, 1 or 2 with dimensions 1 to 4.</summary>
    private static readonly Gen<int[]> Shape = Gen.Int[0, 2].SelectMany(rank => Gen.Int[1, 4].Array[rank]);

    /// <summary>A shape that broadcasts to <paramref name="target"/>: a suffix of it (any rank up to its rank), each dimension kept or set to 1.</summary>
    private static Gen<int[]> BroadcastsTo(int[] target) =>
        Gen.Int[0, target.Length].SelectMany(rank => Gen.Bool.Array[rank].Select(ones =>
        {
            var shape = new int[rank];
            for (int j = 0; j < rank; j++)
            {
                shape[j] = ones[j] ? 1 : target[target.Length - rank + j];
            }

            return shape;
        }));

    private static Gen<double[]> Values(int length) => Gen.Double[-2, 2].Array[length];

    /// <summary>Two operands whose shapes broadcast against each other (each a broadcastable view of a common shape), with values.</summary>
    private static readonly Gen<(int[] AShape, double[] A, int[] BShape, double[] B, double[] Upstream)> BinaryCase =
        from target in Shape
        from aShape in BroadcastsTo(target)
        from bShape in BroadcastsTo(target)
        from a in Values(Count(aShape))
        from b in Values(Count(bShape))
        from upstream in Values(Count(BroadcastShape(aShape, bShape)))
        select (aShape, a, bShape, b, upstream);

    public static TheoryData<string> BinaryOps() => new() { "Add", "Subtract", "Multiply", "Divide", "Minimum", "Maximum" };

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void BroadcastBinaryOpMatchesTheHandWrittenForwardAndGradient(string op)
    {
        ForAll(BinaryCase, seed: StableSeed(op), c =>
        {
            double[] bValues = op == "Divide" ? AwayFromZero(c.B) : c.B;
            int[] outShape = BroadcastShape(c.AShape, c.BShape);
            var a = Tensor.From<double>(c.A, c.AShape, requiresGrad: true);
            var b = Tensor.From<double>(bValues, c.BShape, requiresGrad: true);
            Tensor<double> y = Apply(op, a, b);

            var expected = new double[Count(outShape)];
            var gradA = new double[c.A.Length];
            var gradB = new double[bValues.Length];
            for (int o = 0; o < expected.Length; o++)
            {
                int ia = SourceIndex(o, outShape, c.AShape);
                int ib = SourceIndex(o, outShape, c.BShape);
                (double value, double da, double db) = Reference(op, c.A[ia], bValues[ib]);
                expected[o] = value;
                gradA[ia] += c.Upstream[o] * da;
                gradB[ib] += c.Upstream[o] * db;
            }

            Assert.Equal(outShape, y.Shape.ToArray());
            AssertClose(expected, y.Data);
            y.Backward(Tensor.From<double>(c.Upstream, outShape));
            AssertClose(gradA, a.Grad!.Data);
            AssertClose(gradB, b.Grad!.Data);
        });
    }

    /// <summary>Operands of rank 1 or 2 with matching inner dimension (every form MatMul documents), and a bias that broadcasts to the product.</summary>
    private static readonly Gen<(int[] AShape, double[] A, int[] BShape, double[] B, int[] BiasShape, double[] Bias)> MatMulCase =
        from aRank in Gen.Int[1, 2]
        from bRank in Gen.Int[1, 2]
        from n in Gen.Int[1, 4]
        from d in Gen.Int[1, 4]
        from k in Gen.Int[1, 4]
        let aShape = aRank == 2 ? new[] { n, d } : new[] { d }
        let bShape = bRank == 2 ? new[] { d, k } : new[] { d }
        from biasShape in BroadcastsTo(MatMulShape(aShape, bShape))
        from a in Values(Count(aShape))
        from b in Values(Count(bShape))
        from bias in Values(Count(biasShape))
        select (aShape, a, bShape, b, biasShape, bias);

    [Fact]
    public void MatMulMatchesTheTripleLoopAndPassesGradCheck()
    {
        ForAll(MatMulCase, seed: 31, c =>
        {
            var a = Tensor.From<double>(c.A, c.AShape, requiresGrad: true);
            var b = Tensor.From<double>(c.B, c.BShape, requiresGrad: true);
            Tensor<double> y = a.MatMul(b);
            int[] outShape = MatMulShape(c.AShape, c.BShape);
            Assert.Equal(outShape, y.Shape.ToArray());
            AssertClose(ReferenceMatMul(c.AShape, c.A, c.BShape, c.B), y.Data);
            AssertGradCheck(t => t[0].MatMul(t[1]), a, b);
        });
    }

    [Fact]
    public void LinearMatchesTheTripleLoopPlusBroadcastBiasAndPassesGradCheck()
    {
        ForAll(MatMulCase, seed: 37, c =>
        {
            var input = Tensor.From<double>(c.A, c.AShape, requiresGrad: true);
            var weight = Tensor.From<double>(c.B, c.BShape, requiresGrad: true);
            var bias = Tensor.From<double>(c.Bias, c.BiasShape, requiresGrad: true);
            Tensor<double> y = Functional.Linear(input, weight, bias);
            int[] outShape = MatMulShape(c.AShape, c.BShape);
            double[] expected = ReferenceMatMul(c.AShape, c.A, c.BShape, c.B);
            for (int o = 0; o < expected.Length; o++)
            {
                expected[o] += c.Bias[SourceIndex(o, outShape, c.BiasShape)];
            }

            Assert.Equal(outShape, y.Shape.ToArray());
            AssertClose(expected, y.Data);
            AssertGradCheck(t => Functional.Linear(t[0], t[1], t[2]), input, weight, bias);
        });
    }

    /// <summary>A tensor of rank 1 or 2, an axis in [-rank, rank - 1], keepDim, and Sum or Mean.</summary>
    private static readonly Gen<(int[] Shape, double[] X, int Axis, bool KeepDim, bool Mean)> AxisReductionCase =
        from rank in Gen.Int[1, 2]
        from shape in Gen.Int[1, 4].Array[rank]
        from axis in Gen.Int[-rank, rank - 1]
        from keepDim in Gen.Bool
        from mean in Gen.Bool
        from x in Values(Count(shape))
        select (shape, x, axis, keepDim, mean);

    [Fact]
    public void SumAndMeanOverAnAxisMatchTheLoopAndSpreadTheGradientBack()
    {
        ForAll(AxisReductionCase, seed: 41, c =>
        {
            int rank = c.Shape.Length;
            int axis = c.Axis < 0 ? c.Axis + rank : c.Axis;
            int rows = rank == 2 ? c.Shape[0] : 1;
            int cols = c.Shape[rank - 1];
            int reduced = c.Shape[axis];
            var expected = new double[Count(c.Shape) / reduced];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    int o = rank == 1 ? 0 : axis == 0 ? j : i;
                    expected[o] += c.X[(i * cols) + j] / (c.Mean ? reduced : 1);
                }
            }

            int[] outShape = [.. c.Shape];
            outShape[axis] = 1;
            if (!c.KeepDim)
            {
                outShape = [.. outShape[..axis], .. outShape[(axis + 1)..]];
            }

            var x = Tensor.From<double>(c.X, c.Shape, requiresGrad: true);
            Tensor<double> y = c.Mean ? x.Mean(c.Axis, c.KeepDim) : x.Sum(c.Axis, c.KeepDim);
            Assert.Equal(outShape, y.Shape.ToArray());
            AssertClose(expected, y.Data);

            var upstream = new double[expected.Length];
            for (int o = 0; o < upstream.Length; o++)
            {
                upstream[o] = 0.25 + o;
            }

            y.Backward(Tensor.From<double>(upstream, outShape));
            var grad = new double[c.X.Length];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    int o = rank == 1 ? 0 : axis == 0 ? j : i;
                    grad[(i * cols) + j] = upstream[o] / (c.Mean ? reduced : 1);
                }
            }

            AssertClose(grad, x.Grad!.Data);
        });
    }

    [Fact]
    public void SumAndMeanOfAllElementsMatchTheLoopAndSpreadTheGradientBack()
    {
        Gen<(int[] Shape, double[] X, bool Mean)> gen =
            from shape in Shape
            from x in Values(Count(shape))
            from mean in Gen.Bool
            select (shape, x, mean);
        ForAll(gen, seed: 43, c =>
        {
            double sum = 0;
            foreach (double v in c.X)
            {
                sum += v;
            }

            var x = Tensor.From<double>(c.X, c.Shape, requiresGrad: true);
            Tensor<double> y = c.Mean ? x.Mean() : x.Sum();
            Assert.Equal(0, y.Rank);
            AssertClose([c.Mean ? sum / c.X.Length : sum], y.Data);
            y.Backward(Tensor.Scalar(1.5));
            var grad = new double[c.X.Length];
            Array.Fill(grad, c.Mean ? 1.5 / c.X.Length : 1.5);
            AssertClose(grad, x.Grad!.Data);
        });
    }

    /// <summary>Runs <paramref name="property"/> on <see cref="Cases"/> cases drawn from a fixed seed (deterministic), naming the failing case.</summary>
    private static void ForAll<T>(Gen<T> gen, ulong seed, Action<T> property)
    {
        var pcg = new PCG(1, seed);
        for (int i = 0; i < Cases; i++)
        {
            T generated = gen.Generate(pcg, null, out _);
            try
            {
                property(generated);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"Case {i} (seed {seed}) failed: {Check.Print(generated)}{Environment.NewLine}{e}");
            }
        }
    }

    /// <summary>A seed from the operation's name that is the same in every process (string.GetHashCode is randomised per process).</summary>
    private static ulong StableSeed(string name)
    {
        ulong seed = 17;
        foreach (char ch in name)
        {
            seed = (seed * 31) + ch;
        }

        return seed;
    }

    private static Tensor<double> Apply(string op, Tensor<double> a, Tensor<double> b) => op switch
    {
        "Add" => a.Add(b),
        "Subtract" => a.Subtract(b),
        "Multiply" => a.Multiply(b),
        "Divide" => a.Divide(b),
        "Minimum" => a.Minimum(b),
        "Maximum" => a.Maximum(b),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    /// <summary>The value and the two partial derivatives; Minimum/Maximum split the gradient on a tie, as PyTorch.</summary>
    private static (double Value, double DA, double DB) Reference(string op, double a, double b) => op switch
    {
        "Add" => (a + b, 1, 1),
        "Subtract" => (a - b, 1, -1),
        "Multiply" => (a * b, b, a),
        "Divide" => (a / b, 1 / b, -a / (b * b)),
        "Minimum" => (Math.Min(a, b), a < b ? 1 : a == b ? 0.5 : 0, b < a ? 1 : a == b ? 0.5 : 0),
        "Maximum" => (Math.Max(a, b), a > b ? 1 : a == b ? 0.5 : 0, b > a ? 1 : a == b ? 0.5 : 0),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    /// <summary>Maps [-2, 2] to [-2, -0.5] U [0.5, 2], keeping the sign: denominators well away from 0.</summary>
    private static double[] AwayFromZero(double[] values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = (values[i] < 0 ? -1 : 1) * (0.5 + (0.75 * Math.Abs(values[i])));
        }

        return result;
    }

    private static int Count(int[] shape)
    {
        int count = 1;
        foreach (int dim in shape)
        {
            count *= dim;
        }

        return count;
    }

    /// <summary>NumPy broadcasting of two shapes, right-aligned; the generators only produce compatible shapes.</summary>
    private static int[] BroadcastShape(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new int[rank];
        for (int j = 0; j < rank; j++)
        {
            int da = j - (rank - a.Length) >= 0 ? a[j - (rank - a.Length)] : 1;
            int db = j - (rank - b.Length) >= 0 ? b[j - (rank - b.Length)] : 1;
            shape[j] = Math.Max(da, db);
        }

        return shape;
    }

    /// <summary>The row-major index in an operand of shape <paramref name="source"/> read by output element <paramref name="flat"/>.</summary>
    private static int SourceIndex(int flat, int[] outShape, int[] source)
    {
        int index = 0;
        int stride = 1;
        for (int j = outShape.Length - 1; j >= 0; j--)
        {
            int coordinate = flat % outShape[j];
            flat /= outShape[j];
            int s = j - (outShape.Length - source.Length);
            if (s >= 0)
            {
                index += (source[s] == 1 ? 0 : coordinate) * stride;
                stride *= source[s];
            }
        }

        return index;
    }

    private static int[] MatMulShape(int[] a, int[] b) => (a.Length, b.Length) switch
    {
        (2, 2) => [a[0], b[1]],
        (2, 1) => [a[0]],
        (1, 2) => [b[1]],
        _ => [],
    };

    /// <summary>The product in every MatMul form, by treating a vector on the left as a 1 x d row and on the right as a d x 1 column.</summary>
    private static double[] ReferenceMatMul(int[] aShape, double[] a, int[] bShape, double[] b)
    {
        int n = aShape.Length == 2 ? aShape[0] : 1;
        int d = aShape[^1];
        int k = bShape.Length == 2 ? bShape[1] : 1;
        var result = new double[n * k];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
            {
                double sum = 0;
                for (int p = 0; p < d; p++)
                {
                    sum += a[(i * d) + p] * b[(p * k) + j];
                }

                result[(i * k) + j] = sum;
            }
        }

        return result;
    }
}
