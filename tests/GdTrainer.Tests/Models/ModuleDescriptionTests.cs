namespace GdTrainer.Tests.Models;

using GdTrainer.Autograd;
using GdTrainer.Models;

/// <summary>
/// What a <see cref="Module"/> says about itself for a trainer: whether it acts differently in training
/// (<see cref="Module.DependsOnTrainingMode"/>), which bias its output ends with (<see cref="Module.OutputBias"/>), and a short
/// description for the log (<see cref="Module.Describe"/>).
/// </summary>
public sealed class ModuleDescriptionTests
{
    [Fact]
    public void DropoutAnywhereInTheTreeMakesTheModelDependOnTheTrainingMode()
    {
        Assert.True(new Dropout(0.1f).DependsOnTrainingMode);
        Assert.True(new Mlp(3, [4], 1, dropout: 0.2f).DependsOnTrainingMode);
        Assert.True(new Sequential(new Linear(3, 4), new Sequential(new Relu(), new Dropout()), new Linear(4, 1)).DependsOnTrainingMode);
        Assert.True(new Sequential(new Linear(3, 4), new ModeDependent()).DependsOnTrainingMode); // a user's module that says so

        Assert.False(new Mlp(3, [4], 1).DependsOnTrainingMode); // dropout 0 adds no Dropout layer
        Assert.False(new LinearModel(3).DependsOnTrainingMode);
        Assert.False(new Sequential(new Linear(3, 4), new Gelu(), new Linear(4, 1)).DependsOnTrainingMode);
    }

    [Fact]
    public void TheOutputBiasIsTheLastLayersBiasOrNone()
    {
        var linearModel = new LinearModel(3);
        Assert.Same(linearModel.Bias, linearModel.OutputBias);

        var mlp = new Mlp(3, [4, 5], 2, dropout: 0.5f);
        Assert.Same(mlp.LinearLayers[2].Bias, mlp.OutputBias);

        var last = new Linear(4, 1);
        Assert.Same(last.Bias, new Sequential(new Linear(3, 4), new Tanh(), new Sequential(new Dropout(), last)).OutputBias);
        Assert.Same(mlp.OutputBias, new Sequential(new Linear(5, 3), mlp).OutputBias);

        Assert.Null(new Linear(3, 2, bias: false).OutputBias);
        Assert.Null(new Sequential(new Linear(3, 1), new Sigmoid()).OutputBias); // an activation comes last
        Assert.Null(new ModeDependent().OutputBias);
    }

    [Fact]
    public void TheDescriptionNamesTheArchitectureInOneLine()
    {
        Assert.Equal("the linear model", new LinearModel(20).Describe());
        Assert.Equal("an MLP 20 -> 64 -> 32 (Gelu) -> 3", new Mlp(20, [64, 32], 3, Activation.Gelu).Describe());
        Assert.Equal("Sequential", new Sequential(new Linear(2, 2)).Describe());
        Assert.Equal("ModeDependent", new ModeDependent().Describe());
    }

    /// <summary>A user's module whose forward pass reads the mode (here: adds 1 in training).</summary>
    private sealed class ModeDependent : Module
    {
        public override Tensor<float> Forward(Tensor<float> input) => IsTraining ? input.Add(Tensor.Scalar(1f)) : input;

        protected override bool ReadsTrainingMode => true;
    }
}
