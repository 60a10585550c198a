namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

public sealed class SparseInputTests
{
    private readonly MLContext _mlContext = new(seed: 1);

    [Fact]
    public void SparseRowsTrainAndScoreLikeTheirDenseCopies()
    {
        var random = new Random(3);
        var sparse = new List<SparseRow>();
        var dense = new List<DenseRow>();
        for (int i = 0; i < 200; i++)
        {
            int hot = random.Next(6);
            var values = new float[6];
            values[hot] = 1f;
            sparse.Add(new SparseRow { Features = new VBuffer<float>(6, 1, [1f], [hot]), Label = hot < 3 ^ random.NextDouble() < 0.1 });
            dense.Add(new DenseRow { Features = values, Label = sparse[^1].Label });
        }

        var options = new GradientDescentBinaryTrainer.Options { NumberOfEpochs = 20, Seed = 2 };
        IDataView sparseView = _mlContext.Data.LoadFromEnumerable(sparse, Definition());
        GradientDescentBinaryTransformer fromSparse = _mlContext.BinaryClassification.Trainers.GradientDescent(options).Fit(sparseView);
        GradientDescentBinaryTransformer fromDense = _mlContext.BinaryClassification.Trainers.GradientDescent(options).Fit(_mlContext.Data.LoadFromEnumerable(dense));
        Assert.Equal(fromDense.Model.Weights, fromSparse.Model.Weights);
        float[] sparseScores = [.. fromSparse.Transform(sparseView).GetColumn<float>("Score")];
        float[] denseScores = [.. fromDense.Transform(_mlContext.Data.LoadFromEnumerable(dense)).GetColumn<float>("Score")];
        for (int i = 0; i < sparseScores.Length; i++)
        {
            Assert.Equal(denseScores[i], sparseScores[i], 1e-5);
        }
    }

    [Fact]
    public void RowsTimesFeaturesBeyondOneBufferIsAClearErrorNamingTheColumnAndWhatToDo()
    {
        const int Features = 3_000_000;
        var row = new HugeRow { Features = new VBuffer<float>(Features, 0, [], []), Label = true };
        SchemaDefinition definition = SchemaDefinition.Create(typeof(HugeRow));
        definition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Features);
        IDataView data = _mlContext.Data.LoadFromEnumerable(Enumerable.Repeat(row, 1000).ToList(), definition);
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => _mlContext.BinaryClassification.Trainers.GradientDescent().Fit(data));
        Assert.Contains("'Features'", error.Message);
        Assert.Contains("1000 rows", error.Message);
        Assert.Contains("3000000 features", error.Message);
        Assert.Contains($"at most {Array.MaxLength / Features} rows", error.Message);
        Assert.Contains("SelectFeaturesBasedOnCount", error.Message);
    }

    private static SchemaDefinition Definition()
    {
        SchemaDefinition definition = SchemaDefinition.Create(typeof(SparseRow));
        definition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 6);
        return definition;
    }

    private sealed class SparseRow
    {
        public VBuffer<float> Features;

        public bool Label;
    }

    private sealed class HugeRow
    {
        public VBuffer<float> Features;

        public bool Label;
    }

    private sealed class DenseRow
    {
        [VectorType(6)]
        public float[] Features = [];

        public bool Label;
    }
}
