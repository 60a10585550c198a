namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using Microsoft.Extensions.Logging;
using Microsoft.ML;

/// <summary>A logger created from <c>Options.LoggerFactory</c> is named after the trainer that logs, for every task.</summary>
public sealed class LoggerCategoryTests
{
    [Fact]
    public void EachTrainerLogsUnderItsOwnCategory()
    {
        var mlContext = new MLContext(seed: 0);
        var provider = new CategoryRecorder();
        using ILoggerFactory factory = LoggerFactory.Create(builder => builder.AddProvider(provider));

        mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options { NumberOfEpochs = 1, LoggerFactory = factory })
            .Fit(RegressionData.Generate(50, [1f, 2f], 0f, 0.1f, seed: 1).ToDataView(mlContext));
        mlContext.BinaryClassification.Trainers.GradientDescent(new GradientDescentBinaryTrainer.Options { NumberOfEpochs = 1, LoggerFactory = factory })
            .Fit(ClassificationData.Binary(mlContext, 100, seed: 1));
        IDataView multiclass = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(ClassificationData.Multiclass(mlContext, 100, seed: 1))
            .Transform(ClassificationData.Multiclass(mlContext, 100, seed: 1));
        mlContext.MulticlassClassification.Trainers.GradientDescent(new GradientDescentMulticlassTrainer.Options { NumberOfEpochs = 1, LoggerFactory = factory })
            .Fit(multiclass);

        Assert.Equal(
            ["GdTrainer.MLNet.GradientDescentRegressionTrainer", "GdTrainer.MLNet.GradientDescentBinaryTrainer", "GdTrainer.MLNet.GradientDescentMulticlassTrainer"],
            provider.Categories);
    }

    private sealed class CategoryRecorder : ILoggerProvider
    {
        internal List<string> Categories { get; } = [];

        public ILogger CreateLogger(string categoryName)
        {
            Categories.Add(categoryName);
            return new CapturingLogger();
        }

        public void Dispose()
        {
        }
    }
}
