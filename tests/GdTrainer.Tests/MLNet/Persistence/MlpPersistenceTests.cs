namespace GdTrainer.Tests.MLNet;

using System.IO.Compression;
using GdTrainer.MLNet;
using GdTrainer.Models;
using GdTrainer.Tests.Samples;
using Microsoft.ML;
using Microsoft.ML.Data;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// MLPs saved here load in another process with the same scores, through both save routes and both load routes; a model with a
/// user's own module fails to save naming the type; a damaged model record is an error, never a different score.
/// </summary>
public sealed class MlpPersistenceTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-mlp-persist-" + Guid.NewGuid().ToString("N"));
    private readonly MLContext _mlContext = new(seed: 1);

    public MlpPersistenceTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.LeakyRelu)]
    [InlineData(Activation.Gelu)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Sigmoid)]
    public async Task AnMlpWithEachActivationScoresIdenticallyInAnotherProcessThroughBothRoutes(Activation activation)
    {
        (float[][] x, float[] y, _) = TrainingTestData.Friedman1(400, seed: 71);
        IDataView data = TrainingTestData.View(_mlContext, x, y);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(new Options
        {
            HiddenLayers = [12, 6],
            Activation = activation,
            NumberOfEpochs = 4,
            Seed = 2,
        }).Fit(data);
        Assert.All(model.Model.Layers.SkipLast(1), layer => Assert.Equal(activation, layer.Activation));

        (float[][] probe, _, _) = TrainingTestData.Friedman1(30, seed: 72);
        float[] expected = TrainingTestData.Scores(model, TrainingTestData.View(_mlContext, probe, new float[probe.Length]));
        for (int i = 0; i < probe.Length; i++)
        {
            Assert.Equal(DenseReference.Predict(model.Model.Layers, probe[i]), expected[i], 1e-4); // The in-memory scores are the network's.
        }

        string csv = Path.Combine(_directory, "rows.csv");
        SamplesProcess.WriteCsv(csv, probe);
        string plainSaved = Path.Combine(_directory, "plain.zip");
        string helperSaved = Path.Combine(_directory, "helper.zip");
        _mlContext.Model.Save(model, data.Schema, plainSaved);
        GradientDescentModel.Save(_mlContext, model, data.Schema, helperSaved);

        // Each file through the other route's loader: mlContext.Model.Save -> GradientDescentModel.Load, and the reverse.
        float[] viaHelperLoad = await SamplesProcess.PredictAsync(plainSaved, csv, "gdtrainer");
        float[] viaPlainLoad = await SamplesProcess.PredictAsync(helperSaved, csv, "mlnet");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], viaHelperLoad[i], 1e-6);
            Assert.Equal(expected[i], viaPlainLoad[i], 1e-6);
        }
    }

    [Fact]
    public void AModelWithAUsersOwnModuleTrainsAndScoresButSavingNamesTheType()
    {
        (float[][] x, float[] y, _) = TrainingTestData.Friedman1(600, seed: 73);
        IDataView data = TrainingTestData.View(_mlContext, x, y);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(new Options
        {
            ModelFactory = (features, outputs) => new Sequential(
                new Linear(features, 16, generator: new Random(1)), new SwishModule(), new Linear(16, outputs, generator: new Random(2))),
            LearningRate = 1e-2f,
            BatchSize = 32,
            NumberOfEpochs = 20,
            Seed = 2,
        }).Fit(data);

        // The output layer started at the label mean, as for the built-in models (the first epoch's loss is near the label variance).
        Assert.True(model.Model.LossHistory[0] < 2 * SmallProblem.Variance(y), $"First epoch's loss {model.Model.LossHistory[0]}, label variance {SmallProblem.Variance(y)}.");
        float[] scores = TrainingTestData.Scores(model, data);
        Assert.True(TrainingTestData.RSquared(y, scores) > 0.6, $"R² {TrainingTestData.RSquared(y, scores):F3}");
        var engine = _mlContext.Model.CreatePredictionEngine<TenFeatureRow, ScorePrediction>(model);
        Assert.Equal(scores[3], engine.Predict(new TenFeatureRow { Features = x[3] }).Score);

        string plain = Path.Combine(_directory, "plain.zip");
        Exception plainError = Assert.ThrowsAny<Exception>(() => _mlContext.Model.Save(model, data.Schema, plain));
        Exception? notSupported = plainError;
        while (notSupported is not null and not NotSupportedException)
        {
            notSupported = notSupported.InnerException;
        }

        Assert.True(notSupported is not null, $"mlContext.Model.Save failed with {plainError.GetType().Name}, not a NotSupportedException: {plainError}");
        Assert.Contains(typeof(SwishModule).FullName!, notSupported.Message, StringComparison.Ordinal);
        File.Delete(plain); // ML.NET's own Save leaves a partial file; the helper must not.

        string helper = Path.Combine(_directory, "helper.zip");
        var error = Assert.Throws<InvalidOperationException>(() => GradientDescentModel.Save(_mlContext, model, data.Schema, helper));
        Assert.Contains(typeof(SwishModule).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains(helper, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_directory));
    }

    [Fact]
    public void ADamagedModelRecordIsAnErrorThroughBothLoadRoutesNotADifferentScore()
    {
        (float[][] x, float[] y, _) = TrainingTestData.Friedman1(300, seed: 74);
        IDataView data = TrainingTestData.View(_mlContext, x, y);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(new Options { HiddenLayers = [8], NumberOfEpochs = 2, Seed = 2 }).Fit(data);
        string path = Path.Combine(_directory, "model.zip");
        GradientDescentModel.Save(_mlContext, model, data.Schema, path);
        DamageModelRecord(path);

        var error = Assert.Throws<InvalidDataException>(() => GradientDescentModel.Load(_mlContext, path, out _));
        Assert.Contains("damaged", error.Message, StringComparison.Ordinal);
        Assert.Contains("checksum", error.Message, StringComparison.Ordinal);

        var fresh = new MLContext(seed: 1);
        fresh.ComponentCatalog.RegisterAssembly(typeof(GradientDescentModel).Assembly);
        Exception plainError = Assert.ThrowsAny<Exception>(() =>
        {
            ITransformer loaded = fresh.Model.Load(path, out _);
            _ = loaded.Transform(TrainingTestData.View(fresh, x, y)).GetColumn<float>("Score").ToArray();
        });
        Assert.Contains("damaged", Messages(plainError), StringComparison.Ordinal);
    }

    /// <summary>
    /// Flips one Base64 character in the middle of the model record, inside the map's binary data view in the zip, and writes the
    /// zip again properly (valid entries, CRCs and data view): only the record's own checksum can notice.
    /// </summary>
    private void DamageModelRecord(string path)
    {
        byte[] zipBytes = File.ReadAllBytes(path);
        using var memory = new MemoryStream();
        memory.Write(zipBytes);
        int damaged = 0;
        using (var archive = new ZipArchive(memory, ZipArchiveMode.Update, leaveOpen: true))
        {
            foreach (ZipArchiveEntry entry in archive.Entries.Where(e => e.FullName.EndsWith(".idv", StringComparison.Ordinal)).ToArray())
            {
                string original = Path.Combine(_directory, "map-in.idv");
                using (Stream input = entry.Open())
                using (FileStream file = File.Create(original))
                {
                    input.CopyTo(file);
                }

                IDataView map = _mlContext.Data.LoadFromBinary(original);
                Assert.Equal(2, map.Schema.Count);
                DataViewSchema.Column keyColumn = map.Schema[0];
                DataViewSchema.Column valueColumn = map.Schema[1];
                Assert.Equal(NumberDataViewType.Single, keyColumn.Type);
                Assert.IsType<TextDataViewType>(valueColumn.Type);
                float[] keys = map.GetColumn<float>(keyColumn).ToArray();
                string[] values = [.. map.GetColumn<ReadOnlyMemory<char>>(valueColumn).Select(v => v.ToString())];
                for (int i = 0; i < values.Length; i++)
                {
                    char[] chars = values[i].ToCharArray();
                    int at = chars.Length / 2;
                    chars[at] = chars[at] == 'A' ? 'B' : 'A';
                    values[i] = new string(chars);
                    damaged++;
                }

                var definition = SchemaDefinition.Create(typeof(MapRow));
                definition[nameof(MapRow.Key)].ColumnName = keyColumn.Name;
                definition[nameof(MapRow.Value)].ColumnName = valueColumn.Name;
                IDataView rewritten = _mlContext.Data.LoadFromEnumerable(keys.Select((k, i) => new MapRow { Key = k, Value = values[i] }).ToArray(), definition);
                using var rewrittenBytes = new MemoryStream();
                _mlContext.Data.SaveAsBinary(rewritten, rewrittenBytes);
                string name = entry.FullName;
                entry.Delete();
                using Stream output = archive.CreateEntry(name).Open();
                output.Write(rewrittenBytes.ToArray());
                File.Delete(original);
            }
        }

        Assert.Equal(1, damaged);
        File.WriteAllBytes(path, memory.ToArray());
    }

    private static string Messages(Exception? exception)
    {
        var text = new List<string>();
        for (; exception is not null; exception = exception.InnerException)
        {
            text.Add(exception.Message);
        }

        return string.Join(" | ", text);
    }

    private sealed class MapRow
    {
        public float Key;

        public string Value = string.Empty;
    }
}
