namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using Microsoft.ML.Data;

/// <summary>
/// The tasks are installed when GdTrainer loads (<c>TaskInstallation</c>): one per stored <see cref="PredictionKind"/>, each with
/// every room's view of it, and every transformer finds its own, so a transformer made with a public constructor saves and exports.
/// </summary>
public sealed class InstalledTasksTests
{
    [Fact]
    public void EveryStoredKindHasOneInstalledTaskWithTheViewOfEveryRoom()
    {
        Assert.Equal(Enum.GetValues<PredictionKind>(), PredictionTasks.All.Select(t => t.Kind));
        Assert.All(PredictionTasks.All, task =>
        {
            Assert.IsAssignableFrom<ITrainingTask>(task);
            Assert.IsAssignableFrom<ISavedTaskForm>(task);
            Assert.IsAssignableFrom<IOnnxTaskOutputs>(task);
        });
    }

    [Fact]
    public void ATransformerMadeWithAPublicConstructorHoldsTheInstalledTaskOfItsKind()
    {
        var model = new GradientDescentModelParameters([1f, 2f], 0.5f, []);
        var features = new VectorDataViewType(NumberDataViewType.Single, 2);
        Assert.Same(PredictionTasks.Get(PredictionKind.Regression), new GradientDescentRegressionTransformer(model, "Features", features).Task);
        Assert.Same(PredictionTasks.Get(PredictionKind.Binary), new GradientDescentBinaryTransformer(model, "Features", features).Task);
    }
}
