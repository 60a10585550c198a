namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using Microsoft.ML;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// <see cref="GradientDescentModel.Save"/> refuses a read-only target as ML.NET's own Save does (issue 11, item 8).
/// The check reads the ReadOnly attribute, so it also holds for root on CI, whom file permissions do not stop.
/// </summary>
public sealed class ReadOnlySaveTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-readonly-" + Guid.NewGuid().ToString("N"));

    public ReadOnlySaveTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        foreach (string file in Directory.GetFiles(_directory))
        {
            File.SetAttributes(file, FileAttributes.Normal);
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void AReadOnlyFileIsRefusedNamedAndLeftUntouchedWithNoTemporaryFile()
    {
        var mlContext = new MLContext(seed: 0);
        RegressionData data = RegressionData.Generate(30, [1f, -1f], 0.5f, 0.1f, seed: 2);
        IDataView view = data.ToDataView(mlContext);
        var model = mlContext.Regression.Trainers.GradientDescent(new Options { NumberOfEpochs = 3 }).Fit(view);
        string path = Path.Combine(_directory, "model.zip");
        byte[] original = [1, 2, 3, 4];
        File.WriteAllBytes(path, original);
        File.SetAttributes(path, FileAttributes.ReadOnly);

        var error = Assert.Throws<UnauthorizedAccessException>(() => GradientDescentModel.Save(mlContext, model, view.Schema, path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("read-only", error.Message, StringComparison.Ordinal);
        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory)); // No temporary file left behind.

        // A writable file is still replaced.
        File.SetAttributes(path, FileAttributes.Normal);
        GradientDescentModel.Save(mlContext, model, view.Schema, path);
        Assert.NotEqual(original, File.ReadAllBytes(path));
    }
}
