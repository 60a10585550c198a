namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

public sealed class TransformerTests
{
    private static readonly float[] s_trueWeights = [5.0f, 0.5f, 0.0f];

    private readonly MLContext _mlContext = new(seed: 0);
    private readonly RegressionData _data = RegressionData.Generate(300, s_trueWeights, -1.25f, 0.2f, seed: 4);

    private GradientDescentRegressionTransformer Train(IDataView data) =>
        _mlContext.Regression.Trainers.GradientDescent(new Options { BatchSize = 32, NumberOfEpochs = 15, Seed = 2 }).Fit(data);

    public sealed class Input
    {
        [VectorType(3)]
        public float[] Features = [];

        public float Label;
    }

    public sealed class Prediction
    {
        public float Score;
    }

    public sealed class SparseRow
    {
        [VectorType(3)]
        public VBuffer<float> Features;
    }

    [Fact]
    public void TransformIsLazyAndScoresEqualXTimesWPlusB()
    {
        int produced = 0;
        IEnumerable<Input> Rows()
        {
            for (int i = 0; i < _data.Rows; i++)
            {
                produced++;
                yield return new Input { Features = _data.Features[i], Label = _data.Labels[i] };
            }
        }

        var model = Train(_data.ToDataView(_mlContext));
        IDataView scored = model.Transform(_mlContext.Data.LoadFromEnumerable(Rows()));
        Assert.Equal(0, produced);
        Assert.Equal(NumberDataViewType.Single, scored.Schema["Score"].Type);

        float[] scores = scored.GetColumn<float>("Score").ToArray();
        Assert.Equal(_data.Rows, produced);
        for (int i = 0; i < _data.Rows; i++)
        {
            double expected = RegressionData.Predict(_data.Features[i], model.Weights, model.Bias);
            Assert.Equal(expected, scores[i], 1e-5 * Math.Max(1, Math.Abs(expected)));
        }
    }

    [Fact]
    public void SparseFeatureVectorsScoreLikeTheirDenseForm()
    {
        var model = Train(_data.ToDataView(_mlContext));
        var sparse = new[]
        {
            new SparseRow { Features = new VBuffer<float>(3, 1, [2.5f], [1]) },
            new SparseRow { Features = new VBuffer<float>(3, 2, [-1f, 4f], [0, 2]) },
            new SparseRow { Features = new VBuffer<float>(3, 0, [], []) },
        };
        float[][] dense = [[0, 2.5f, 0], [-1f, 0, 4f], [0, 0, 0]];

        float[] scores = model.Transform(_mlContext.Data.LoadFromEnumerable(sparse)).GetColumn<float>("Score").ToArray();
        for (int i = 0; i < dense.Length; i++)
        {
            Assert.Equal(RegressionData.Predict(dense[i], model.Weights, model.Bias), scores[i], 1e-5);
        }
    }

    [Fact]
    public void PredictionEngineWorks()
    {
        var model = Train(_data.ToDataView(_mlContext));
        var engine = _mlContext.Model.CreatePredictionEngine<Input, Prediction>(model);
        for (int i = 0; i < 5; i++)
        {
            float score = engine.Predict(new Input { Features = _data.Features[i] }).Score;
            Assert.Equal(RegressionData.Predict(_data.Features[i], model.Weights, model.Bias), score, 1e-5);
        }
    }

    [Fact]
    public void EvaluateReportsTheMetricsOfTheScores()
    {
        IDataView data = _data.ToDataView(_mlContext);
        var model = Train(data);
        RegressionMetrics metrics = _mlContext.Regression.Evaluate(model.Transform(data));

        double squared = 0;
        for (int i = 0; i < _data.Rows; i++)
        {
            double residual = _data.Labels[i] - RegressionData.Predict(_data.Features[i], model.Weights, model.Bias);
            squared += residual * residual;
        }

        Assert.Equal(Math.Sqrt(squared / _data.Rows), metrics.RootMeanSquaredError, 1e-4);
        Assert.True(metrics.RSquared > 0.99, $"R^2 = {metrics.RSquared}");
    }

    [Fact]
    public void CrossValidateWorksWithTheTrainerInAPipeline()
    {
        IDataView data = _data.ToDataView(_mlContext);
        var pipeline = _mlContext.Transforms.NormalizeMeanVariance("Features")
            .Append(_mlContext.Regression.Trainers.GradientDescent(new Options { BatchSize = 32, NumberOfEpochs = 10, Seed = 1 }));
        var results = _mlContext.Regression.CrossValidate(data, pipeline, numberOfFolds: 3);

        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.True(r.Metrics.RSquared > 0.98, $"fold {r.Fold}: R^2 = {r.Metrics.RSquared}"));
    }

    [Fact]
    public void PermutationFeatureImportanceRanksTheImportantFeatureFirst()
    {
        IDataView data = _data.ToDataView(_mlContext);
        var model = Train(data);
        var importance = _mlContext.Regression.PermutationFeatureImportance(model, data, permutationCount: 1);

        Assert.Equal(3, importance.Length);
        double[] rmseIncrease = importance.Select(m => m.RootMeanSquaredError.Mean).ToArray();
        Assert.True(rmseIncrease[0] > rmseIncrease[1] && rmseIncrease[1] > rmseIncrease[2], string.Join(", ", rmseIncrease));
    }

    [Fact]
    public void ConcurrentScoringGivesTheSameResultsAsSerialScoring()
    {
        IDataView data = _data.ToDataView(_mlContext);
        var model = Train(data);
        IDataView scored = model.Transform(data);
        float[] serial = scored.GetColumn<float>("Score").ToArray();

        var results = new float[4][];
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            var scores = new float[_data.Rows];
            using DataViewRowCursor cursor = scored.GetRowCursor([scored.Schema["Score"]]);
            ValueGetter<float> getter = cursor.GetGetter<float>(scored.Schema["Score"]);
            int i = 0;
            while (cursor.MoveNext())
            {
                getter(ref scores[i++]);
            }

            results[t] = scores;
        });

        Assert.All(results, r => Assert.Equal(serial, r));

        // A cursor set reads the rows on several cursors at once; together they hold every score once.
        DataViewRowCursor[] set = scored.GetRowCursorSet([scored.Schema["Score"]], 3);
        var collected = new List<float>();
        Parallel.ForEach(set, cursor =>
        {
            ValueGetter<float> getter = cursor.GetGetter<float>(scored.Schema["Score"]);
            float value = 0;
            var local = new List<float>();
            while (cursor.MoveNext())
            {
                getter(ref value);
                local.Add(value);
            }

            lock (collected)
            {
                collected.AddRange(local);
            }

            cursor.Dispose();
        });
        Assert.Equal(serial.Order(), collected.Order());
    }

    [Fact]
    public void TransformRejectsFeaturesOfAnotherSize()
    {
        var model = Train(_data.ToDataView(_mlContext));
        var other = RegressionData.Generate(5, [1f, 2f], 0f, 0f, seed: 1).ToDataView(_mlContext);
        var error = Assert.ThrowsAny<ArgumentException>(() => model.Transform(other));
        Assert.Contains("has 2 features, but the model was trained on 3", error.Message, StringComparison.Ordinal);
    }
}
