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
    public void DenseRowsTimesFeaturesBeyondOneBufferAreRefusedBeforeReadingNamingTheColumnAndWhatToDo()
    {
        // 1,024 slots are stored densely; 2.1 million such rows exceed one array of floats. The list's count is known, so the
        // trainer, told to hold the rows in memory, refuses before reading a row (by default it would stream them).
        const int Features = 1024;
        int rows = (Array.MaxLength / Features) + 1;
        var row = new HugeRow { Features = new VBuffer<float>(Features, 0, [], []), Label = true };
        IDataView data = _mlContext.Data.LoadFromEnumerable(new RepeatedList<HugeRow>(row, rows), HugeDefinition(Features));
        var inMemory = new GradientDescentBinaryTrainer.Options { Streaming = false };
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => _mlContext.BinaryClassification.Trainers.GradientDescent(inMemory).Fit(data));
        Assert.Contains("'Features'", error.Message);
        Assert.Contains("Leave Options.Streaming null (the default) or set it to true", error.Message);
        Assert.Contains($"{rows} rows", error.Message);
        Assert.Contains($"{Features} features", error.Message);
        Assert.Contains($"at most {Array.MaxLength / Features} rows", error.Message);
        Assert.Contains("SelectFeaturesBasedOnCount", error.Message);
    }

    [Fact]
    public void SparseRowsWhoseNonZerosWouldExceedOneStoreAreRefusedAfterTheFirstThousandRows()
    {
        // 3 million slots, 3,000 non-zeros a row, a million rows: 3e9 non-zeros, beyond one array. Projected from the first
        // 1,000 rows, long before the memory is spent.
        const int Features = 3_000_000;
        int[] indices = [.. Enumerable.Range(0, 3000).Select(i => i * 1000)];
        float[] values = [.. Enumerable.Repeat(1f, 3000)];
        var row = new HugeRow { Features = new VBuffer<float>(Features, 3000, values, indices), Label = true };
        IDataView data = _mlContext.Data.LoadFromEnumerable(new RepeatedList<HugeRow>(row, 1_000_000), HugeDefinition(Features));
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => _mlContext.BinaryClassification.Trainers.GradientDescent().Fit(data));
        Assert.Contains("'Features'", error.Message);
        Assert.Contains("3000 non-zeros each", error.Message);
        Assert.Contains("1000000 rows", error.Message);
        Assert.Contains("TakeRows", error.Message);
    }

    private static SchemaDefinition HugeDefinition(int features)
    {
        SchemaDefinition definition = SchemaDefinition.Create(typeof(HugeRow));
        definition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        return definition;
    }

    /// <summary>A read-only list of one item repeated: a large data view whose row count ML.NET knows, without the memory.</summary>
    private sealed class RepeatedList<T>(T item, int count) : IReadOnlyList<T>, IList<T>
    {
        public T this[int index] { get => item; set => throw new NotSupportedException(); }

        public int Count => count;

        public bool IsReadOnly => true;

        public IEnumerator<T> GetEnumerator()
        {
            for (int i = 0; i < count; i++)
            {
                yield return item;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public int IndexOf(T value) => throw new NotSupportedException();

        public void Insert(int index, T value) => throw new NotSupportedException();

        public void RemoveAt(int index) => throw new NotSupportedException();

        public void Add(T value) => throw new NotSupportedException();

        public void Clear() => throw new NotSupportedException();

        public bool Contains(T value) => throw new NotSupportedException();

        public void CopyTo(T[] array, int arrayIndex) => throw new NotSupportedException();

        public bool Remove(T value) => throw new NotSupportedException();
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
