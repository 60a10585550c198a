namespace GdTrainer.Tests.MLNet;

using System.Globalization;
using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// A model file written by an earlier release keeps loading with identical scores. <c>Fixtures/linear-v1.zip</c> was
/// written by <c>mlContext.Model.Save</c> at commit 4466f02 (the linear carrier, contract <c>GdTrainer.LinearScore.v1</c>);
/// <c>linear-v1.scores.txt</c> holds 20 feature rows and the scores that release computed for them.
/// <c>Fixtures/multiclass-v2.zip</c> was written at commit 4ebaa58 (a key mapping, then the multiclass carrier whose
/// <c>Score</c> comes from <c>GdTrainer.Multiclass.Score.v2</c> through <c>CopyColumns</c>, then <c>MapKeyToValue</c>);
/// <c>multiclass-v2.scores.txt</c> holds 20 labelled rows with the predicted label and probabilities computed then.
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

    [Fact]
    public void TheFirstVersion2MulticlassModelFileLoadsThroughBothRoutesWithIdenticalProbabilities()
    {
        var rows = new List<LabelledRow>();
        var predicted = new List<string>();
        var probabilities = new List<float[]>();
        foreach (string line in File.ReadLines(Path.Combine(FixtureDirectory, "multiclass-v2.scores.txt")).Where(l => !l.StartsWith('#')))
        {
            string[] parts = line.Split(' ');
            rows.Add(new LabelledRow { Label = parts[0], Features = [.. parts[1..5].Select(v => float.Parse(v, CultureInfo.InvariantCulture))] });
            predicted.Add(parts[5]);
            probabilities.Add([.. parts[6..].Select(v => float.Parse(v, CultureInfo.InvariantCulture))]);
        }

        Assert.Equal(20, rows.Count);
        string path = Path.Combine(FixtureDirectory, "multiclass-v2.zip");
        var plainContext = new MLContext(seed: 7);
        ITransformer plain = plainContext.Model.Load(path, out _);
        var restoringContext = new MLContext(seed: 8);
        ITransformer restored = GradientDescentModel.Load(restoringContext, path, out _);
        Assert.Contains(Assert.IsAssignableFrom<IEnumerable<ITransformer>>(restored), t => t is GradientDescentMulticlassTransformer);
        foreach ((MLContext mlContext, ITransformer model, int scoreSize) in new[] { (plainContext, plain, 0), (restoringContext, restored, 3) })
        {
            IDataView scored = model.Transform(mlContext.Data.LoadFromEnumerable(rows));
            // The file keeps its format: an unknown-size Score after plain load, the class count after GradientDescentModel.Load.
            Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, scoreSize), scored.Schema["Score"].Type);
            Assert.Equal(predicted, scored.GetColumn<string>("PredictedText"));
            float[][] actual = [.. scored.GetColumn<float[]>("Score")];
            for (int i = 0; i < actual.Length; i++)
            {
                Assert.Equal(probabilities[i], actual[i]);
            }
        }

        Assert.InRange(restoringContext.MulticlassClassification.Evaluate(restored.Transform(restoringContext.Data.LoadFromEnumerable(rows))).MicroAccuracy, 0.4, 1.0);
    }

    [Fact]
    public void ARestoredFirstVersion2MulticlassModelSavesTheSizedChainWhichScoresIdenticallyWithoutAllocatingMorePerRow()
    {
        var mlContext = new MLContext(seed: 9);
        ITransformer restored = GradientDescentModel.Load(mlContext, Path.Combine(FixtureDirectory, "multiclass-v2.zip"), out DataViewSchema schema);
        string path = Path.Combine(Path.GetTempPath(), "gdtrainer-sized-" + Guid.NewGuid().ToString("N") + ".zip");
        ITransformer sized;
        try
        {
            mlContext.Model.Save(restored, schema, path);
            sized = new MLContext(seed: 10).Model.Load(path, out _);
        }
        finally
        {
            File.Delete(path);
        }

        ITransformer first = new MLContext(seed: 11).Model.Load(Path.Combine(FixtureDirectory, "multiclass-v2.zip"), out _);
        IDataView data = ClassificationData.Multiclass(mlContext, 10_000, seed: 12);
        IDataView firstScored = first.Transform(data);
        IDataView sizedScored = sized.Transform(data);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single), firstScored.Schema["Score"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), sizedScored.Schema["Score"].Type);
        Assert.Equal(firstScored.GetColumn<float[]>("Score").Take(500), sizedScored.GetColumn<float[]>("Score").Take(500));
        Assert.Equal(firstScored.GetColumn<string>("PredictedText").Take(500), sizedScored.GetColumn<string>("PredictedText").Take(500));

        ReadScores(firstScored, 100); // Warm-up: JIT, the decoded model record.
        ReadScores(sizedScored, 100);
        long firstBytes = ReadScores(firstScored, int.MaxValue);
        long sizedBytes = ReadScores(sizedScored, int.MaxValue);
        Assert.True(sizedBytes <= firstBytes + (16 * 1024), $"Scoring 10,000 rows through the sized chain allocated {sizedBytes} bytes, the first version-2 chain {firstBytes}.");
    }

    /// <summary>The bytes this thread allocates reading <c>Score</c> over up to <paramref name="rows"/> rows.</summary>
    private static long ReadScores(IDataView scored, int rows)
    {
        using DataViewRowCursor cursor = scored.GetRowCursor([scored.Schema["Score"]]);
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        VBuffer<float> value = default;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < rows && cursor.MoveNext(); i++)
        {
            getter(ref value);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private sealed class LabelledRow
    {
        public string Label = "";

        [VectorType(4)]
        public float[] Features = [];
    }

    private sealed class Row
    {
        [VectorType(3)]
        public float[] Features = [];
    }
}
