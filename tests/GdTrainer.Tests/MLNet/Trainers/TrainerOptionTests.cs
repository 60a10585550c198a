namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Optimizers;
using GdTrainer.Training;
using Microsoft.ML;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>Every option that issue 9 added is checked when the trainer is created, with a message naming the option, the value and the remedy.</summary>
public sealed class TrainerOptionTests
{
    public static TheoryData<string, Action<Options>, string, string> InvalidOptions => new()
    {
        { "HiddenLayers with a 0", o => o.HiddenLayers = [16, 0], nameof(Options.HiddenLayers), "[16, 0]" },
        { "HiddenLayers null", o => o.HiddenLayers = null!, nameof(Options.HiddenLayers), "must not be null" },
        { "HiddenLayers negative", o => o.HiddenLayers = [-4], nameof(Options.HiddenLayers), "at least 1 unit" },
        { "Dropout 1", o => { o.HiddenLayers = [8]; o.Dropout = 1f; }, nameof(Options.Dropout), "but was 1" },
        { "Dropout negative", o => { o.HiddenLayers = [8]; o.Dropout = -0.1f; }, nameof(Options.Dropout), "but was -0.1" },
        { "Dropout NaN", o => { o.HiddenLayers = [8]; o.Dropout = float.NaN; }, nameof(Options.Dropout), "but was NaN" },
        { "Dropout without hidden layers", o => o.Dropout = 0.5f, nameof(Options.Dropout), "HiddenLayers is empty" },
        { "ValidationFraction 1", o => o.ValidationFraction = 1f, nameof(Options.ValidationFraction), "but was 1" },
        { "ValidationFraction negative", o => o.ValidationFraction = -0.2f, nameof(Options.ValidationFraction), "but was -0.2" },
        { "MaxGradientNorm 0", o => o.MaxGradientNorm = 0f, nameof(Options.MaxGradientNorm), "but was 0" },
        { "MaxGradientNorm infinite", o => o.MaxGradientNorm = float.PositiveInfinity, nameof(Options.MaxGradientNorm), "but was Infinity" },
        { "EarlyStopping.Patience 0", o => o.EarlyStopping = new EarlyStopping { Patience = 0 }, "Patience", "EarlyStopping.Patience must be at least 1" },
        { "EarlyStopping.MinDelta negative", o => o.EarlyStopping = new EarlyStopping { MinDelta = -1f }, "MinDelta", "EarlyStopping.MinDelta" },
        { "NumberOfThreads 0", o => o.NumberOfThreads = 0, nameof(Options.NumberOfThreads), "but was 0" },
        { "NumberOfThreads negative", o => o.NumberOfThreads = -1, nameof(Options.NumberOfThreads), "but was -1" },
        { "Activation undefined", o => { o.HiddenLayers = [4]; o.Activation = (GdTrainer.Models.Activation)99; }, nameof(Options.Activation), "but was 99" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void AnInvalidNewOptionFailsAtConstructionNamingTheOption(string description, Action<Options> set, string parameter, string messagePart)
    {
        var options = new Options();
        set(options);
        var error = Assert.ThrowsAny<ArgumentException>(() => new MLContext().Regression.Trainers.GradientDescent(options));
        Assert.True(parameter == error.ParamName, $"{description}: the error names '{error.ParamName}', not '{parameter}'.");
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCosineScheduleAndASchedulerTogetherAreRejected()
    {
        var options = new Options { LearningRateSchedule = LearningRateSchedule.Cosine, LearningRateScheduler = SchedulerSettings.StepDecay(2) };
        var error = Assert.Throws<ArgumentException>(() => new MLContext().Regression.Trainers.GradientDescent(options));
        Assert.Equal(nameof(Options.LearningRateScheduler), error.ParamName);
        Assert.Contains("Cosine", error.Message, StringComparison.Ordinal);
        Assert.Contains("SchedulerSettings.Cosine()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AValidationFractionThatLeavesNoTrainingRowsIsAClearError()
    {
        var mlContext = new MLContext(seed: 1);
        (float[][] x, float[] y, _) = TrainingTestData.Friedman1(3, seed: 1);
        var trainer = mlContext.Regression.Trainers.GradientDescent(new Options { ValidationFraction = 0.9f });
        var error = Assert.Throws<InvalidOperationException>(() => trainer.Fit(TrainingTestData.View(mlContext, x, y)));
        Assert.Contains("ValidationFraction", error.Message, StringComparison.Ordinal);
        Assert.Contains("of the 3 usable rows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheOptionsAreCopiedSoLaterChangesDoNotReachTheTrainer()
    {
        var options = new Options { HiddenLayers = [8, 4] };
        var trainer = new MLContext().Regression.Trainers.GradientDescent(options);
        options.HiddenLayers[0] = 0;
        options.Dropout = 0.7f;
        Assert.Equal([8, 4], trainer.TrainerOptions.HiddenLayers);
        Assert.Equal(0f, trainer.TrainerOptions.Dropout);
    }
}
