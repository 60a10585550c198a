namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;

/// <summary>The factories of <see cref="Tensor"/>: shapes, values, validation, randomness and memory sharing.</summary>
public sealed class TensorCreationTests
{
    [Fact]
    public void ZerosOnesAndFullHaveTheShapeAndValue()
    {
        Tensor<float> zeros = Tensor.Zeros([2, 3]);
        Tensor<float> ones = Tensor.Ones([4]);
        Tensor<double> full = Tensor.Full<double>([3, 1], -2.5, requiresGrad: true);

        Assert.Equal([2, 3], zeros.Shape.ToArray());
        Assert.Equal(6, zeros.Length);
        Assert.Equal(2, zeros.Rank);
        Assert.All(zeros.ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal([4], ones.Shape.ToArray());
        Assert.All(ones.ToArray(), v => Assert.Equal(1f, v));
        Assert.Equal([3, 1], full.Shape.ToArray());
        Assert.All(full.ToArray(), v => Assert.Equal(-2.5, v));
        Assert.True(full.RequiresGrad);
        Assert.True(full.IsLeaf);
        Assert.False(zeros.RequiresGrad);
    }

    [Fact]
    public void ScalarHasRankZeroAndOneElement()
    {
        Tensor<double> scalar = Tensor.Scalar(4.5, requiresGrad: true);

        Assert.Equal(0, scalar.Rank);
        Assert.Equal(1, scalar.Length);
        Assert.True(scalar.Shape.IsEmpty);
        Assert.Equal(4.5, scalar.Item());
        Assert.True(scalar.RequiresGrad);
    }

    [Fact]
    public void EmptyShapesAreAllowed()
    {
        Tensor<double> empty = Tensor.Zeros<double>([0, 3]);

        Assert.Equal(0, empty.Length);
        Assert.Equal(0.0, empty.Sum().Item());
        Assert.True(double.IsNaN(empty.Mean().Item()));
    }

    [Fact]
    public void FromCopiesTheValuesInRowMajorOrder()
    {
        double[] values = [1, 2, 3, 4, 5, 6];
        Tensor<double> vector = Tensor.From<double>(values);
        Tensor<double> matrix = Tensor.From<double>(values, [2, 3]);
        Tensor<double> fromArray = Tensor.From(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } }, requiresGrad: true);

        values[0] = 100;

        Assert.Equal([6], vector.Shape.ToArray());
        Assert.Equal([1.0, 2, 3, 4, 5, 6], vector.ToArray());
        Assert.Equal([2, 3], matrix.Shape.ToArray());
        Assert.Equal(6.0, matrix[1, 2]);
        Assert.Equal(2.0, matrix[0, 1]);
        Assert.Equal([2, 3], fromArray.Shape.ToArray());
        Assert.Equal([1.0, 2, 3, 4, 5, 6], fromArray.ToArray());
        Assert.Equal(4.0, fromArray[1, 0]);
        Assert.True(fromArray.RequiresGrad);
    }

    [Fact]
    public void FromWithAShapeThatDoesNotHoldTheValuesThrows()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => Tensor.From<double>([1.0, 2.0, 3.0], [2, 2]));

        Assert.Contains("[2, 2]", error.Message, StringComparison.Ordinal);
        Assert.Contains("4 elements", error.Message, StringComparison.Ordinal);
        Assert.Contains("3 values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidShapesThrow()
    {
        ArgumentException rank = Assert.Throws<ArgumentException>(() => Tensor.Zeros<double>([2, 2, 2]));
        ArgumentException negative = Assert.Throws<ArgumentException>(() => Tensor.Ones<double>([3, -1]));

        Assert.Contains("rank 3", rank.Message, StringComparison.Ordinal);
        Assert.Contains("negative", negative.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RandIsInTheUnitIntervalAndReproducibleFromASeed()
    {
        Tensor<double> first = Tensor.Rand<double>([50, 40], new Random(7));
        Tensor<double> again = Tensor.Rand<double>([50, 40], new Random(7));
        Tensor<double> other = Tensor.Rand<double>([50, 40], new Random(8));
        Tensor<float> single = Tensor.Rand([2000], new Random(9), requiresGrad: true);

        Assert.Equal([50, 40], first.Shape.ToArray());
        Assert.All(first.ToArray(), v => Assert.InRange(v, 0.0, Math.BitDecrement(1.0)));
        Assert.All(single.ToArray(), v => Assert.InRange(v, 0f, MathF.BitDecrement(1f)));
        Assert.Equal(first.ToArray(), again.ToArray());
        Assert.NotEqual(first.ToArray(), other.ToArray());
        Assert.True(single.RequiresGrad);

        // Uniform: the mean of 2000 samples is within 6 standard errors (sqrt(1/12/2000) ~ 0.0065) of 1/2.
        Assert.InRange(single.Mean().Item(), 0.5f - 0.04f, 0.5f + 0.04f);
    }

    [Fact]
    public void RandnHasMeanZeroAndVarianceOneAndIsReproducible()
    {
        const int count = 20_000;
        Tensor<double> samples = Tensor.Randn<double>([count], new Random(11));

        double mean = 0;
        foreach (double v in samples.Data)
        {
            mean += v;
        }

        mean /= count;
        double variance = 0;
        double tail = 0;
        foreach (double v in samples.Data)
        {
            variance += (v - mean) * (v - mean);
            tail += Math.Abs(v) > 1.96 ? 1 : 0;
        }

        variance /= count - 1;

        // Standard errors: mean 1/sqrt(n) ~ 0.0071, variance sqrt(2/n) ~ 0.01, P(|z| > 1.96) sqrt(.05*.95/n) ~ 0.0015.
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(variance, 0.93, 1.07);
        Assert.InRange(tail / count, 0.04, 0.06);
        Assert.Equal(samples.ToArray(), Tensor.Randn<double>([count], new Random(11)).ToArray());
    }

    [Fact]
    public void RandnFillsEveryElementOfAnOddLength()
    {
        Tensor<float> samples = Tensor.Randn([3, 3], new Random(13));

        Assert.Equal([3, 3], samples.Shape.ToArray());
        Assert.All(samples.ToArray(), v => Assert.True(v != 0f && float.IsFinite(v)));
    }

    [Fact]
    public void WrapSharesTheArrayFromAnOffset()
    {
        double[] array = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        Tensor<double> tensor = Tensor.Wrap(array, 2, [2, 3]);

        Assert.Equal([2.0, 3, 4, 5, 6, 7], tensor.ToArray());
        array[3] = 30;
        tensor.Data[5] = 70;
        Assert.Equal(30.0, tensor[0, 1]);
        Assert.Equal(70.0, array[7]);
        Assert.Equal(8.0, array[8]);

        Tensor<double> whole = Tensor.Wrap(array, [10]);
        whole.Data[0] = -1;
        Assert.Equal(-1.0, array[0]);
    }

    [Fact]
    public void WrapThatDoesNotFitThrows()
    {
        double[] array = new double[6];

        ArgumentException tooLong = Assert.Throws<ArgumentException>(() => Tensor.Wrap(array, 2, [5]));
        Assert.Throws<ArgumentException>(() => Tensor.Wrap(array, -1, [2]));
        Assert.Throws<ArgumentException>(() => Tensor.Wrap(array, [7]));

        Assert.Contains("offset 2", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("6", tooLong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrappedTensorCanBeTrainedAndItsUpdatesReachTheArray()
    {
        double[] parameters = [9, 9, 1.0, 2.0];
        Tensor<double> w = Tensor.Wrap(parameters, 2, [2]);
        w.RequiresGrad = true;

        (w * w).Sum().Backward();
        using (Autograd.NoGrad())
        {
            w.SubtractInPlace(w.Grad!, 0.25);
        }

        Assert.Equal([9.0, 9.0, 0.5, 1.0], parameters);
    }

    [Fact]
    public void ReshapeSharesMemoryWithItsSource()
    {
        Tensor<double> x = Tensor.From<double>([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        Tensor<double> matrix = x.Reshape(2, 3);

        matrix.Data[4] = 50;

        Assert.Equal(50.0, x[4]);
        Assert.Equal(50.0, matrix[1, 1]);
    }

    [Fact]
    public void ToStringShowsShapeAndValues()
    {
        var x = Tensor.From<double>([1.5, 2.0], requiresGrad: true);

        Assert.Equal("Tensor<Double>[2] requires_grad { 1.5, 2 }", x.ToString());
        Assert.StartsWith("Tensor<Double>[2] grad_fn=Exp {", x.Exp().ToString(), StringComparison.Ordinal);
    }
}
