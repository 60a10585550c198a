namespace GdTrainer.Tests.Persistence;

using System.Globalization;
using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// A model file written by an earlier release keeps loading with identical scores. <c>Fixtures/linear-v1.zip</c> was
/// written by <c>mlContext.Model.Save</c> at commit 4466f02 (the linear carrier, contract <c>GdTrainer.LinearScore.v1</c>);
/// <c>linear-v1.scores.txt</c> holds 20 feature rows and the scores that release computed for them.
/// </summary>
public sealed class SavedFormatCompatibilityTests
{
    private static readonly string FixtureDirectory = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    private static (float[][] Features, float[] Scores) ReadExpectedScores()
    {
        var features = new List<float[]>();
        var scores = new List<float>();
        foreach (string line in File.ReadLines(Path.Combine(FixtureDirectory, "linear-v1.scores.txt")))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            float[] values = line.Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            features.Add(values[..3]);
            scores.Add(values[3]);
        }

        return (features.ToArray(), scores.ToArray());
    }

    private static float[] Score(MLContext mlContext, ITransformer model, float[][] features)
    {
        IDataView data = mlContext.Data.LoadFromEnumerable(features.Select(f => new Row { Features = f }));
        return model.Transform(data).GetColumn<float>("Score").ToArray();
    }

    [Fact]
    public void TheFirstReleasesLinearModelFileLoadsThroughBothRoutesWithIdenticalScores()
    {
        (float[][] features, float[] expected) = ReadExpectedScores();
        Assert.Equal(20, expected.Length);
        string path = Path.Combine(FixtureDirectory, "linear-v1.zip");

        var restoringContext = new MLContext(seed: 5);
        ITransformer restored = GradientDescentModel.Load(restoringContext, path, out DataViewSchema schema);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), schema["Features"].Type);
        var transformer = Assert.IsType<GradientDescentRegressionTransformer>(restored);
        Assert.Equal(3, transformer.Weights.Count);
        Assert.Equal(expected, Score(restoringContext, restored, features));

        var plainContext = new MLContext(seed: 6);
        plainContext.ComponentCatalog.RegisterAssembly(typeof(GradientDescentModel).Assembly);
        ITransformer plain = plainContext.Model.Load(path, out _);
        Assert.Equal(expected, Score(plainContext, plain, features));
    }

    private sealed class Row
    {
        [VectorType(3)]
        public float[] Features = [];
    }
}
