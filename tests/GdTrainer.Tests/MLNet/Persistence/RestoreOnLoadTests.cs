namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// <see cref="GradientDescentModel.Load"/> rebuilds the trained transformer from the built-in chain that
/// <c>mlContext.Model.Save</c> writes; plain <c>mlContext.Model.Load</c> keeps returning that chain.
/// </summary>
public sealed class RestoreOnLoadTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-restore-" + Guid.NewGuid().ToString("N"));
    private readonly MLContext _mlContext = new(seed: 0);
    private readonly RegressionData _data = RegressionData.Generate(200, [1.5f, -2f, 0.25f, 3f], 0.5f, 0.3f, seed: 9);

    public RestoreOnLoadTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathTo(string name) => Path.Combine(_directory, name);

    private static float[] Scores(ITransformer model, IDataView data) => model.Transform(data).GetColumn<float>("Score").ToArray();

    private static void AssertSameTransformer(GradientDescentRegressionTransformer expected, GradientDescentRegressionTransformer actual)
    {
        Assert.NotSame(expected, actual);
        Assert.Equal(expected.Weights, actual.Weights); // float equality: bit for bit (no NaN possible).
        Assert.Equal(expected.Bias, actual.Bias);
        Assert.Equal(expected.LossHistory, actual.LossHistory);
        Assert.Equal(expected.FeatureColumnName, actual.FeatureColumnName);
        Assert.Equal(expected.FeatureColumnType, actual.FeatureColumnType);
    }

    [Fact]
    public void APipelineSavedByMLNetIsRestoredWithItsTrainedTransformerAndScoresIdentically()
    {
        IDataView data = _data.ToDataView(_mlContext);
        TransformerChain<GradientDescentRegressionTransformer> model = _mlContext.Transforms.NormalizeMeanVariance("Features")
            .Append(_mlContext.Regression.Trainers.GradientDescent(new Options { BatchSize = 32, NumberOfEpochs = 6, Seed = 1 }))
            .Fit(data);
        string path = PathTo("pipeline.zip");
        _mlContext.Model.Save(model, data.Schema, path);

        ITransformer restored = GradientDescentModel.Load(new MLContext(seed: 3), path, out DataViewSchema schema);
        ITransformer plain = new MLContext(seed: 4).Model.Load(path, out _);

        Assert.Equal(data.Schema["Features"].Type, schema["Features"].Type);
        var chain = Assert.IsType<TransformerChain<ITransformer>>(restored);
        ITransformer[] elements = [.. chain];
        Assert.Equal(2, elements.Length);
        Assert.IsType<NormalizingTransformer>(elements[0]);
        AssertSameTransformer(model.LastTransformer, Assert.IsType<GradientDescentRegressionTransformer>(chain.LastTransformer));
        Assert.Equal(6, model.LastTransformer.LossHistory.Count);

        float[] expected = Scores(model, data);
        Assert.Equal(expected, Scores(restored, data));
        Assert.Equal(expected, Scores(plain, data));

        // The plain load keeps the built-in stand-in: a nested chain of built-in transformers.
        ITransformer[] plainElements = [.. Assert.IsType<TransformerChain<ITransformer>>(plain)];
        Assert.IsNotType<GradientDescentRegressionTransformer>(plainElements[^1]);
        Assert.Equal(5, Assert.IsType<TransformerChain<ITransformer>>(plainElements[^1]).Count());

        // Scoring with a prediction engine uses the row-to-row mapper of the restored transformer.
        var engine = _mlContext.Model.CreatePredictionEngine<VectorInput, ScorePrediction>(restored);
        float single = engine.Predict(new VectorInput { Features = _data.Features[7] }).Score;
        Assert.Equal(expected[7], single);
    }

    [Fact]
    public void ABareTrainerModelSavedByTheHelperComesBackAsTheTransformer()
    {
        IDataView data = _data.ToDataView(_mlContext);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(new Options { NumberOfEpochs = 4, Seed = 2 }).Fit(data);
        string path = PathTo("bare.zip");
        GradientDescentModel.Save(_mlContext, model, data.Schema, path);

        ITransformer restored = GradientDescentModel.Load(new MLContext(), path, out _);
        AssertSameTransformer(model, Assert.IsType<GradientDescentRegressionTransformer>(restored));
        Assert.Equal(Scores(model, data), Scores(restored, data));
        Assert.Equal(Scores(model, data), Scores(new MLContext().Model.Load(path, out _), data));
    }

    public sealed class ScalarRow
    {
        public float Size;

        public float Label;
    }

    [Fact]
    public void AScalarFeatureColumnWithAnotherNameIsRestored()
    {
        var rows = new ScalarRow[50];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = new ScalarRow { Size = (i - 25) / 10f, Label = (2.5f * ((i - 25) / 10f)) - 1f };
        }

        IDataView data = _mlContext.Data.LoadFromEnumerable(rows);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers
            .GradientDescent(new Options { FeatureColumnName = "Size", NumberOfEpochs = 30, BatchSize = 10, Seed = 5 })
            .Fit(data);
        string path = PathTo("scalar.zip");
        _mlContext.Model.Save(model, data.Schema, path);

        var restored = Assert.IsType<GradientDescentRegressionTransformer>(GradientDescentModel.Load(new MLContext(), path, out _));
        AssertSameTransformer(model, restored);
        Assert.Equal(NumberDataViewType.Single, restored.FeatureColumnType);
        Assert.Equal("Size", restored.FeatureColumnName);

        float[] scores = Scores(restored, data);
        Assert.Equal(Scores(model, data), scores);
        Assert.Equal((rows[3].Size * model.Weights[0]) + model.Bias, scores[3]);
    }

    public sealed class MatrixRow
    {
        [ColumnName("Pixel ∑ é")]
        [VectorType(2, 2)]
        public float[] Pixels = [];

        public float Label;
    }

    [Fact]
    public void AMultiDimensionalFeatureColumnWithANonAsciiNameKeepsItsNameAndShape()
    {
        var rows = new MatrixRow[_data.Rows];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = new MatrixRow { Pixels = _data.Features[i], Label = _data.Labels[i] };
        }

        IDataView data = _mlContext.Data.LoadFromEnumerable(rows);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 2, 2), data.Schema["Pixel ∑ é"].Type);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers
            .GradientDescent(new Options { FeatureColumnName = "Pixel ∑ é", NumberOfEpochs = 3, Seed = 6 })
            .Fit(data);
        string path = PathTo("matrix.zip");
        GradientDescentModel.Save(_mlContext, model, data.Schema, path);

        var restored = Assert.IsType<GradientDescentRegressionTransformer>(GradientDescentModel.Load(new MLContext(), path, out _));
        AssertSameTransformer(model, restored);
        Assert.Equal(Scores(model, data), Scores(restored, data));
    }

    [Fact]
    public void AHandBuiltModelWithoutLossHistoryRoundTrips()
    {
        var parameters = new GradientDescentModelParameters([0.5f, -1.25f, 2f, 0f], 0.75f, []);
        var model = new GradientDescentRegressionTransformer(parameters, "Features", new VectorDataViewType(NumberDataViewType.Single, 4));
        IDataView data = _data.ToDataView(_mlContext);
        string path = PathTo("hand.zip");
        GradientDescentModel.Save(_mlContext, model, data.Schema, path);

        var restored = Assert.IsType<GradientDescentRegressionTransformer>(GradientDescentModel.Load(new MLContext(), path, out _));
        Assert.Empty(restored.LossHistory);
        Assert.Equal([0.5f, -1.25f, 2f, 0f], restored.Weights);
        Assert.Equal(0.75f, restored.Bias);
        float[] scores = Scores(restored, data);
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.Equal(RegressionData.Predict(_data.Features[i], parameters.Weights, 0.75f), scores[i], 1e-5);
        }
    }

    [Fact]
    public void ScopesOfTheOtherTransformersAreKept()
    {
        IDataView data = _data.ToDataView(_mlContext);

        // The normalizer runs in training and testing only: a scoring model then skips it.
        var model = new EstimatorChain<ITransformer>()
            .Append(_mlContext.Transforms.NormalizeMinMax("Features"), TransformerScope.TrainTest)
            .Append(_mlContext.Regression.Trainers.GradientDescent(new Options { NumberOfEpochs = 2, Seed = 7 }))
            .Fit(data);
        string path = PathTo("scopes.zip");
        _mlContext.Model.Save(model, data.Schema, path);

        var restored = Assert.IsType<TransformerChain<ITransformer>>(GradientDescentModel.Load(new MLContext(), path, out _));
        Assert.IsType<GradientDescentRegressionTransformer>(Assert.Single(restored.GetModelFor(TransformerScope.Scoring)));
        Assert.Equal(2, restored.GetModelFor(TransformerScope.Training).Count());
        Assert.Equal(2, restored.GetModelFor(TransformerScope.Testing).Count());
        Assert.Equal(Scores(model.GetModelFor(TransformerScope.Scoring), data), Scores(restored.GetModelFor(TransformerScope.Scoring), data));
        Assert.Equal(Scores(model, data), Scores(restored, data));
    }

    [Fact]
    public void AStandInWithoutTheStoredDescriptionIsLeftAsLoadedAndStillScores()
    {
        // The stand-in as written before the feature description was stored: only the parameters are mapped.
        IDataView data = _data.ToDataView(_mlContext);
        float[] weights = [1f, -0.5f, 0.25f, 2f];
        var chain = _mlContext.Transforms.Concatenate("__GdTrainer_Features", "Features")
            .Append(_mlContext.Transforms.CustomMapping(new LinearScoreModelKeyFactory().GetMapping(), LinearScoreModelKeyFactory.ContractName))
            .Append(_mlContext.Transforms.Conversion.MapValue("__GdTrainer_Parameters", [new KeyValuePair<float, float[]>(1f, [.. weights, -3f])], "__GdTrainer_ModelKey"))
            .Append(_mlContext.Transforms.CustomMapping(new LinearScoreFactory().GetMapping(), LinearScoreFactory.ContractName))
            .Append(_mlContext.Transforms.DropColumns("__GdTrainer_Features", "__GdTrainer_ModelKey", "__GdTrainer_Parameters"))
            .Fit(data);
        string path = PathTo("old.zip");
        _mlContext.Model.Save(chain, data.Schema, path);

        ITransformer loaded = GradientDescentModel.Load(new MLContext(), path, out _);
        Assert.Equal(5, Assert.IsType<TransformerChain<ITransformer>>(loaded).Count());
        float[] scores = Scores(loaded, data);
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.Equal(RegressionData.Predict(_data.Features[i], weights, -3f), scores[i], 1e-5);
        }
    }

    [Fact]
    public void AModelWithoutOurTransformerIsReturnedAsLoaded()
    {
        IDataView data = _data.ToDataView(_mlContext);
        ITransformer model = _mlContext.Transforms.NormalizeMinMax("Features").Append(_mlContext.Transforms.CopyColumns("Copy", "Features")).Fit(data);
        string path = PathTo("other.zip");
        _mlContext.Model.Save(model, data.Schema, path);

        var loaded = Assert.IsType<TransformerChain<ITransformer>>(GradientDescentModel.Load(new MLContext(), path, out _));
        Assert.Collection(loaded, e => Assert.IsType<NormalizingTransformer>(e), e => Assert.IsType<ColumnCopyingTransformer>(e));
    }

    public sealed class VectorInput
    {
        [VectorType(4)]
        public float[] Features = [];
    }

    public sealed class ScorePrediction
    {
        public float Score;
    }
}
