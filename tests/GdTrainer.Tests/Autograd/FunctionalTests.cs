using GdTrainer.Autograd;
using static GdTrainer.Tests.Autograd.TestTensors;

namespace GdTrainer.Tests.Autograd;

/// <summary>The fused operations against finite differences and against the same formula written with elementary operations.</summary>
public sealed class FunctionalTests
{
    [Theory]
    [InlineData(new[] { 5, 3 }, new[] { 3 }, new[] { 1 })]
    [InlineData(new[] { 5, 3 }, new[] { 3 }, new int[0])]
    [InlineData(new[] { 4, 3 }, new[] { 3, 2 }, new[] { 2 })]
    [InlineData(new[] { 3 }, new[] { 3, 2 }, new[] { 2 })]
    public void LinearPassesGradCheckForEveryOperand(int[] inputShape, int[] weightShape, int[] biasShape)
    {
        var random = new Random(11);
        var input = Uniform(random, inputShape, -1, 1);
        var weight = Uniform(random, weightShape, -1, 1);
        var bias = Uniform(random, biasShape, -1, 1);
        AssertGradCheck(t => Functional.Linear(t[0], t[1], t[2]), input, weight, bias);
    }

    [Fact]
    public void LinearEqualsMatMulPlusBiasInValueAndGradient()
    {
        var random = new Random(12);
        var input = Uniform(random, [6, 4], -2, 2);
        var weight = Uniform(random, [4], -2, 2);
        var bias = Uniform(random, [1], -2, 2);

        Tensor<double> fused = Functional.Linear(input, weight, bias);
        (fused * fused).Sum().Backward();
        double[] fusedWeightGrad = weight.Grad!.ToArray();
        double[] fusedBiasGrad = bias.Grad!.ToArray();
        double[] fusedInputGrad = input.Grad!.ToArray();
        weight.Grad = null;
        bias.Grad = null;
        input.Grad = null;

        Tensor<double> composite = input.MatMul(weight) + bias;
        (composite * composite).Sum().Backward();

        AssertClose(composite.Data, fused.Data, 1e-12);
        AssertClose(weight.Grad!.Data, fusedWeightGrad, 1e-12);
        AssertClose(bias.Grad!.Data, fusedBiasGrad, 1e-12);
        AssertClose(input.Grad!.Data, fusedInputGrad, 1e-12);
    }

    [Fact]
    public void MseLossPassesGradCheckForPredictionAndTarget()
    {
        var random = new Random(13);
        var prediction = Uniform(random, [7], -2, 2);
        var target = Uniform(random, [7], -2, 2);
        AssertGradCheck(t => Functional.MseLoss(t[0], t[1]), prediction, target);
    }

    [Fact]
    public void WeightedMseLossPassesGradCheckAndTreatsWeightsAsConstants()
    {
        var random = new Random(14);
        var prediction = Uniform(random, [3, 2], -2, 2);
        var target = Uniform(random, [3, 2], -2, 2, requiresGrad: false);
        var weights = Uniform(random, [3, 2], 0.5, 2, requiresGrad: false);
        AssertGradCheck(t => Functional.MseLoss(t[0], t[1], weights), prediction, target);

        Assert.Throws<ArgumentException>(() => Functional.MseLoss(prediction, target, Uniform(random, [3, 2], 0.5, 2, requiresGrad: true)));
    }

    [Fact]
    public void MseLossEqualsTheCompositeFormula()
    {
        var random = new Random(15);
        var prediction = Uniform(random, [9], -3, 3);
        var target = Uniform(random, [9], -3, 3, requiresGrad: false);
        var weights = Uniform(random, [9], 0.1, 3, requiresGrad: false);

        Tensor<double> fused = Functional.MseLoss(prediction, target, weights);
        Tensor<double> composite = ((prediction - target).Pow(2) * weights).Sum() / weights.Sum().Item();
        Assert.Equal(composite.Item(), fused.Item(), 1e-12);

        fused.Backward();
        double[] fusedGrad = prediction.Grad!.ToArray();
        prediction.Grad = null;
        composite.Backward();
        AssertClose(prediction.Grad!.Data, fusedGrad, 1e-12);
    }

    [Fact]
    public void MseLossFreesItsGraphAndRejectsASecondBackward()
    {
        var prediction = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        Tensor<double> loss = Functional.MseLoss(prediction, Tensor.From<double>([0.0, 0.0]));
        loss.Backward();
        Assert.Equal([1.0, 2.0], prediction.Grad!.ToArray()); // 2 (p - t) / n
        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("MseLoss", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShapeErrorsNameTheShapes()
    {
        var error = Assert.Throws<ArgumentException>(() => Functional.MseLoss(Tensor.Zeros([3]), Tensor.Zeros([4])));
        Assert.Contains("[3]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[4]", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => Functional.Linear(Tensor.Zeros([2, 3]), Tensor.Zeros([3]), Tensor.Zeros([5])));
        Assert.Contains("[5]", error.Message, StringComparison.Ordinal);
    }
}
