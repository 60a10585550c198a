namespace GdTrainer.Tests.Losses;

using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.Models;

public sealed class MeanSquaredErrorLossTests
{
    private static readonly float[] s_predictions = [1f, 2.5f, -1f, 0.25f];
    private static readonly float[] s_targets = [0.5f, 3f, 1f, 0.25f];
    private static readonly float[] s_weights = [1f, 2f, 0.5f, 3f];

    [Fact]
    public void UnweightedLossAndGradientMatchTheFormula()
    {
        var predictions = Tensor.From<float>(s_predictions, requiresGrad: true);
        Tensor<float> loss = new MeanSquaredErrorLoss().Compute(predictions, Tensor.From<float>(s_targets));
        loss.Backward();

        double expected = s_predictions.Zip(s_targets).Average(p => Math.Pow(p.First - p.Second, 2));
        Assert.Equal(expected, loss.Item(), 1e-6);
        for (int i = 0; i < s_predictions.Length; i++)
        {
            Assert.Equal(2.0 * (s_predictions[i] - s_targets[i]) / s_predictions.Length, predictions.Grad![i], 1e-6);
        }
    }

    [Fact]
    public void WeightedLossAndGradientMatchTheFormula()
    {
        var predictions = Tensor.From<float>(s_predictions, requiresGrad: true);
        Tensor<float> loss = new MeanSquaredErrorLoss().Compute(predictions, Tensor.From<float>(s_targets), Tensor.From<float>(s_weights));
        loss.Backward();

        double total = s_weights.Sum();
        double expected = s_predictions.Select((p, i) => s_weights[i] * Math.Pow(p - s_targets[i], 2)).Sum() / total;
        Assert.Equal(expected, loss.Item(), 1e-6);
        for (int i = 0; i < s_predictions.Length; i++)
        {
            Assert.Equal(2.0 * s_weights[i] * (s_predictions[i] - s_targets[i]) / total, predictions.Grad![i], 1e-6);
        }
    }

    [Fact]
    public void MismatchedShapesAreRejected()
    {
        var loss = new MeanSquaredErrorLoss();
        Assert.Throws<ArgumentException>(() => loss.Compute(Tensor.Zeros([3]), Tensor.Zeros([4])));
        Assert.Throws<ArgumentException>(() => loss.Compute(Tensor.Zeros([3]), Tensor.Zeros([3]), Tensor.Ones([2])));
    }

    [Fact]
    public void LinearModelForwardIsXTimesWPlusB()
    {
        var model = new LinearModel(2);
        model.Weights.Data[0] = 2f;
        model.Weights.Data[1] = -1f;
        model.Bias.Data[0] = 0.5f;
        Tensor<float> output = model.Forward(Tensor.From(new float[,] { { 1f, 2f }, { 3f, -4f } }));

        Assert.Equal([2] , output.Shape.ToArray());
        Assert.Equal([(2f * 1f) - 2f + 0.5f, (2f * 3f) + 4f + 0.5f], output.ToArray());
        Assert.Equal(["weight", "bias"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal([ParameterKind.Weight, ParameterKind.Bias], model.NamedParameters().Select(p => p.Kind));
        Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros([2, 3])));
    }
}
