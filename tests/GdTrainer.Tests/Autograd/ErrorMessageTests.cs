namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;

/// <summary>Bad input gets a specific exception whose message names the values involved.</summary>
public sealed class ErrorMessageTests
{
    [Fact]
    public void BackwardOnANonScalarWithoutAGradientThrows()
    {
        var x = Tensor.From<double>([1.0, 2.0, 3.0], requiresGrad: true);
        Tensor<double> y = x * 2.0;

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => y.Backward());

        Assert.Contains("[3]", error.Message, StringComparison.Ordinal);
        Assert.Contains("scalar", error.Message, StringComparison.Ordinal);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void BackwardOnATensorThatDoesNotRequireGradThrows()
    {
        var x = Tensor.From<double>([1.0, 2.0]);

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => (x * x).Sum().Backward());

        Assert.Contains("does not require grad", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BackwardWithAGradientOfTheWrongShapeThrows()
    {
        var x = Tensor.From<double>([1.0, 2.0, 3.0], requiresGrad: true);
        Tensor<double> y = x * 2.0;

        ArgumentException error = Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones<double>([3, 1])));

        Assert.Contains("[3, 1]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[3]", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> BinaryOps() => new() { "Add", "Subtract", "Multiply", "Divide" };

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void ShapesThatDoNotBroadcastThrowNamingBothShapes(string op)
    {
        var a = Tensor.Ones<double>([3, 4], requiresGrad: true);
        var b = Tensor.Ones<double>([3]);
        var c = Tensor.Ones<double>([2, 4]);

        ArgumentException first = Assert.Throws<ArgumentException>(() => GradCheckOpsTests.ApplyBinary(op, a, b));
        ArgumentException second = Assert.Throws<ArgumentException>(() => GradCheckOpsTests.ApplyBinary(op, c, a));

        Assert.Contains(op, first.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 4]", first.Message, StringComparison.Ordinal);
        Assert.Contains("[3]", first.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 4]", second.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 4]", second.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InPlaceUpdateWithAShapeThatDoesNotBroadcastToTheTargetThrows()
    {
        var target = Tensor.Zeros<double>([4]);
        var larger = Tensor.Ones<double>([3, 4]);

        ArgumentException error = Assert.Throws<ArgumentException>(() => target.AddInPlace(larger, 1.0));

        Assert.Contains("[3, 4]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[4]", error.Message, StringComparison.Ordinal);
        Assert.Equal([0.0, 0.0, 0.0, 0.0], target.ToArray());
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 3, 2 })]
    [InlineData(new[] { 3, 4 }, new[] { 3 })]
    [InlineData(new[] { 4 }, new[] { 3, 2 })]
    [InlineData(new[] { 4 }, new[] { 3 })]
    public void MatMulInnerDimensionMismatchThrowsNamingBothShapes(int[] left, int[] right)
    {
        var a = Tensor.Ones<double>(left);
        var b = Tensor.Ones<double>(right);

        ArgumentException error = Assert.Throws<ArgumentException>(() => a.MatMul(b));

        Assert.Contains("MatMul", error.Message, StringComparison.Ordinal);
        Assert.Contains(Format(left), error.Message, StringComparison.Ordinal);
        Assert.Contains(Format(right), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MatMulWithAScalarOperandThrows()
    {
        var matrix = Tensor.Ones<double>([2, 2]);
        var scalar = Tensor.Scalar(2.0);

        Assert.Throws<ArgumentException>(() => matrix.MatMul(scalar));
        Assert.Throws<ArgumentException>(() => scalar.MatMul(matrix));
    }

    [Fact]
    public void ItemOnAMultiElementTensorThrows()
    {
        var x = Tensor.From<double>([1.0, 2.0]);

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => x.Item());

        Assert.Contains("exactly one element", error.Message, StringComparison.Ordinal);
        Assert.Contains("[2]", error.Message, StringComparison.Ordinal);
        Assert.Equal(7.0, Tensor.Scalar(7.0).Item());
        Assert.Equal(8.0, Tensor.From<double>([8.0]).Item());
        Assert.Equal(9.0, Tensor.Full<double>([1, 1], 9.0).Item());
    }

    [Fact]
    public void SettingRequiresGradOnANonLeafThrows()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        Tensor<double> y = x.Exp();

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);

        Assert.Contains("leaf", error.Message, StringComparison.Ordinal);
        Assert.Contains("Exp", error.Message, StringComparison.Ordinal);
        Assert.True(y.RequiresGrad);
    }

    [Fact]
    public void AssigningAGradOfAnotherShapeThrows()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);

        ArgumentException error = Assert.Throws<ArgumentException>(() => x.Grad = Tensor.Zeros<double>([2, 1]));

        Assert.Contains("[2, 1]", error.Message, StringComparison.Ordinal);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void ReshapeToADifferentElementCountThrows()
    {
        var x = Tensor.Zeros<double>([3, 4]);

        ArgumentException error = Assert.Throws<ArgumentException>(() => x.Reshape(5, 2));

        Assert.Contains("12", error.Message, StringComparison.Ordinal);
        Assert.Contains("[5, 2]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReductionAlongAMissingAxisThrows()
    {
        var matrix = Tensor.Zeros<double>([3, 4]);
        var vector = Tensor.Zeros<double>([4]);
        var scalar = Tensor.Scalar(1.0);

        Assert.Throws<ArgumentOutOfRangeException>(() => matrix.Sum(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => matrix.Mean(-3));
        Assert.Throws<ArgumentOutOfRangeException>(() => vector.Sum(1));
        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => scalar.Sum(0));
        Assert.Contains("Sum()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IndexingOutsideTheTensorThrows()
    {
        var matrix = Tensor.Zeros<double>([2, 3]);
        var vector = Tensor.Zeros<double>([3]);

        Assert.Throws<IndexOutOfRangeException>(() => matrix[2, 0]);
        Assert.Throws<IndexOutOfRangeException>(() => matrix[0, 3]);
        Assert.Throws<InvalidOperationException>(() => vector[0, 0]);
    }

    [Fact]
    public void GradCheckWithoutAnInputThatRequiresGradThrows()
    {
        var x = Tensor.From<double>([1.0, 2.0]);

        Assert.Throws<ArgumentException>(() => GradCheck.Run(t => t[0] * 2.0, [x]));
    }

    [Fact]
    public void GradCheckOfAFunctionThatIgnoresItsInputsThrows()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        var constant = Tensor.From<double>([3.0]);

        Assert.Throws<ArgumentException>(() => GradCheck.Run(_ => constant * 2.0, [x]));
    }

    private static string Format(int[] shape) => "[" + string.Join(", ", shape) + "]";
}
