namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>An MLP transformer scores identically through every route, allocates nothing per row and is safe from many threads.</summary>
public sealed class MlpScoringTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-mlp-scoring-" + Guid.NewGuid().ToString("N"));
    private readonly MLContext _mlContext = new(seed: 1);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void TransformPredictionEngineAndTheLoadedModelScoreBitIdentically()
    {
        (GradientDescentRegressionTransformer model, IDataView data, float[][] x) = Train(300);
        float[] transformed = TrainingTestData.Scores(model, data);

        var engine = _mlContext.Model.CreatePredictionEngine<TenFeatureRow, ScorePrediction>(model);
        Directory.CreateDirectory(_directory);
        string path = Path.Combine(_directory, "mlp.zip");
        GradientDescentModel.Save(_mlContext, model, data.Schema, path);
        ITransformer loaded = GradientDescentModel.Load(new MLContext(seed: 2), path, out _);
        Assert.IsType<GradientDescentRegressionTransformer>(loaded);
        float[] afterLoad = TrainingTestData.Scores(loaded, data);

        for (int i = 0; i < x.Length; i++)
        {
            float engineScore = engine.Predict(new TenFeatureRow { Features = x[i] }).Score;
            Assert.Equal(BitConverter.SingleToInt32Bits(transformed[i]), BitConverter.SingleToInt32Bits(engineScore));
            Assert.Equal(BitConverter.SingleToInt32Bits(transformed[i]), BitConverter.SingleToInt32Bits(afterLoad[i]));
        }
    }

    [Fact]
    public void ScoringAllocatesNothingPerRowAfterWarmUp()
    {
        (GradientDescentRegressionTransformer model, IDataView data, _) = Train(10_000);
        IDataView scored = model.Transform(data);
        Pass(data, "Features", 100); // Warm-up: JIT, pools, the network's per-thread scratch.
        Pass(scored, "Score", 100);

        long readOnly = Pass(data, "Features", int.MaxValue);
        long scoring = Pass(scored, "Score", int.MaxValue);
        output.WriteLine($"10,000 rows: reading the features allocates {readOnly} bytes, scoring them {scoring} bytes");
        Assert.True(scoring - readOnly < 16 * 1024, $"Scoring 10,000 rows allocated {scoring - readOnly} bytes more than reading them ({scoring} vs {readOnly}).");
    }

    [Fact]
    public void ScoringFromEightThreadsEqualsSequentialScoring()
    {
        (GradientDescentRegressionTransformer model, IDataView data, float[][] x) = Train(1_000);
        IDataView scored = model.Transform(data);
        float[] sequential = scored.GetColumn<float>("Score").ToArray();

        var results = new float[8][];
        var engines = new float[8][];
        using var start = new Barrier(8);
        var threads = new Thread[8];
        for (int t = 0; t < 8; t++)
        {
            int index = t;
            threads[t] = new Thread(() =>
            {
                var engine = _mlContext.Model.CreatePredictionEngine<TenFeatureRow, ScorePrediction>(model);
                start.SignalAndWait();
                var scores = new float[x.Length];
                using (DataViewRowCursor cursor = scored.GetRowCursor([scored.Schema["Score"]]))
                {
                    ValueGetter<float> getter = cursor.GetGetter<float>(scored.Schema["Score"]);
                    for (int i = 0; cursor.MoveNext(); i++)
                    {
                        getter(ref scores[i]);
                    }
                }

                var predicted = new float[x.Length];
                for (int i = 0; i < x.Length; i++)
                {
                    predicted[i] = engine.Predict(new TenFeatureRow { Features = x[i] }).Score;
                }

                results[index] = scores;
                engines[index] = predicted;
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.All(results, r => Assert.Equal(sequential, r));
        Assert.All(engines, r => Assert.Equal(sequential, r));
    }

    /// <summary>An MLP trained briefly on 300 rows, and <paramref name="rows"/> other rows to score.</summary>
    private (GradientDescentRegressionTransformer Model, IDataView Data, float[][] X) Train(int rows)
    {
        (float[][] trainX, float[] trainY, _) = TrainingTestData.Friedman1(300, seed: 101);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(new Options
        {
            HiddenLayers = [32, 16],
            Activation = GdTrainer.Models.Activation.Gelu,
            NumberOfEpochs = 3,
            Seed = 1,
        }).Fit(TrainingTestData.View(_mlContext, trainX, trainY));
        (float[][] x, float[] y, _) = TrainingTestData.Friedman1(rows, seed: 102);
        return (model, TrainingTestData.View(_mlContext, x, y), x);
    }

    /// <summary>The bytes this thread allocates reading one column over up to <paramref name="rows"/> rows.</summary>
    private static long Pass(IDataView view, string column, int rows)
    {
        DataViewSchema.Column target = view.Schema[column];
        using DataViewRowCursor cursor = view.GetRowCursor([target]);
        long before;
        if (target.Type is VectorDataViewType)
        {
            ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(target);
            VBuffer<float> value = default;
            before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < rows && cursor.MoveNext(); i++)
            {
                getter(ref value);
            }
        }
        else
        {
            ValueGetter<float> getter = cursor.GetGetter<float>(target);
            float value = 0;
            before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < rows && cursor.MoveNext(); i++)
            {
                getter(ref value);
            }
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
