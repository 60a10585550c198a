namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>Forward values of the structural operations against straightforward reference loops.</summary>
public sealed class ForwardValueTests
{
    [Theory]
    [InlineData(3, 4, 5)]
    [InlineData(7, 13, 9)]
    [InlineData(1, 1, 1)]
    [InlineData(6, 17, 1)]
    public void MatMulOfMatricesMatchesTheTripleLoop(int n, int d, int k)
    {
        var random = new Random((n * 1000) + (d * 10) + k);
        Tensor<double> a = Uniform(random, [n, d], -1, 1, requiresGrad: false);
        Tensor<double> b = Uniform(random, [d, k], -1, 1, requiresGrad: false);

        Tensor<double> product = a.MatMul(b);

        Assert.Equal([n, k], product.Shape.ToArray());
        AssertClose(MatMulReference(a.ToArray(), b.ToArray(), n, d, k), product.Data, 1e-13);
    }

    [Fact]
    public void MatMulWithVectorsMatchesTheTripleLoopAndDropsTheVectorDimension()
    {
        var random = new Random(211);
        const int n = 5, d = 6, k = 3;
        Tensor<double> matrixLeft = Uniform(random, [n, d], -1, 1, requiresGrad: false);
        Tensor<double> matrixRight = Uniform(random, [d, k], -1, 1, requiresGrad: false);
        Tensor<double> vector = Uniform(random, [d], -1, 1, requiresGrad: false);
        Tensor<double> otherVector = Uniform(random, [d], -1, 1, requiresGrad: false);

        Tensor<double> matrixVector = matrixLeft.MatMul(vector);
        Tensor<double> vectorMatrix = vector.MatMul(matrixRight);
        Tensor<double> dot = vector.MatMul(otherVector);

        Assert.Equal([n], matrixVector.Shape.ToArray());
        AssertClose(MatMulReference(matrixLeft.ToArray(), vector.ToArray(), n, d, 1), matrixVector.Data, 1e-13);
        Assert.Equal([k], vectorMatrix.Shape.ToArray());
        AssertClose(MatMulReference(vector.ToArray(), matrixRight.ToArray(), 1, d, k), vectorMatrix.Data, 1e-13);
        Assert.Equal(0, dot.Rank);
        AssertClose(MatMulReference(vector.ToArray(), otherVector.ToArray(), 1, d, 1), dot.Data, 1e-13);
    }

    [Fact]
    public void MatMulInFloatMatchesTheDoubleTripleLoop()
    {
        var random = new Random(223);
        const int n = 9, d = 33, k = 7;
        Tensor<double> a = Uniform(random, [n, d], -1, 1, requiresGrad: false);
        Tensor<double> b = Uniform(random, [d, k], -1, 1, requiresGrad: false);
        Tensor<float> af = Tensor.From<float>(Array.ConvertAll(a.ToArray(), v => (float)v), [n, d]);
        Tensor<float> bf = Tensor.From<float>(Array.ConvertAll(b.ToArray(), v => (float)v), [d, k]);

        float[] product = af.MatMul(bf).ToArray();

        AssertClose(MatMulReference(a.ToArray(), b.ToArray(), n, d, k), Array.ConvertAll(product, v => (double)v), 1e-5);
    }

    [Theory]
    [InlineData(3, 4)]
    [InlineData(1, 5)]
    [InlineData(6, 1)]
    public void TransposeSwapsRowsAndColumns(int rows, int columns)
    {
        var random = new Random(227);
        Tensor<double> x = Uniform(random, [rows, columns], -1, 1, requiresGrad: false);

        Tensor<double> t = x.Transpose();

        Assert.Equal([columns, rows], t.Shape.ToArray());
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                Assert.Equal(x[r, c], t[c, r]);
            }
        }
    }

    [Fact]
    public void TransposeOfAVectorIsTheSameVector()
    {
        Tensor<double> x = Tensor.From<double>([1.0, 2.0, 3.0]);
        Assert.Equal([3], x.Transpose().Shape.ToArray());
        Assert.Equal(x.ToArray(), x.Transpose().ToArray());
    }

    [Fact]
    public void ElementwiseOpsInFloatMatchDouble()
    {
        var random = new Random(229);
        Tensor<double> x = Uniform(random, [4, 5], 0.2, 2, requiresGrad: false);
        Tensor<float> xf = Tensor.From<float>(Array.ConvertAll(x.ToArray(), v => (float)v), [4, 5]);
        Func<Tensor<double>, Tensor<double>>[] doubleOps =
        [
            t => t.Exp(), t => t.Log(), t => t.Sqrt(), t => t.Tanh(), t => t.Sigmoid(), t => t.Pow(1.5), t => (t - 1.0).Relu(), t => (t - 1.0).Abs(),
        ];
        Func<Tensor<float>, Tensor<float>>[] floatOps =
        [
            t => t.Exp(), t => t.Log(), t => t.Sqrt(), t => t.Tanh(), t => t.Sigmoid(), t => t.Pow(1.5f), t => (t - 1f).Relu(), t => (t - 1f).Abs(),
        ];

        for (int op = 0; op < doubleOps.Length; op++)
        {
            double[] expected = doubleOps[op](x).ToArray();
            double[] actual = Array.ConvertAll(floatOps[op](xf).ToArray(), v => (double)v);
            AssertClose(expected, actual, 1e-6);
        }
    }
}
