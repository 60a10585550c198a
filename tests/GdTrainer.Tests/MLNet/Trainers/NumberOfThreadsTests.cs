namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using GdTrainer.Models;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The ML.NET trainers' <c>NumberOfThreads</c> with the library's own shard policy: 1, 2 and 3 threads give bit-identical models
/// and histories for the three tasks, dense and sparse (a feature column of 2,000 slots), the linear model and MLPs with dropout,
/// with validation and early stopping. The sizes are chosen so that the default policy really cuts the batches into shards (see
/// <see cref="TheDefaultPolicySplitsTheseBatchesAndKeepsSmallOnesWhole"/>).
/// </summary>
public sealed class NumberOfThreadsTests
{
    private const int DenseFeatures = 20;
    private const int SparseSlots = 2_000;

    public static TheoryData<string> Cases => ["regression MLP", "binary MLP", "multiclass MLP", "regression linear", "multiclass linear", "binary sparse MLP", "binary sparse linear"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void OneTwoAndThreeThreadsTrainBitIdenticalModels(string name)
    {
        int[] one = Bits(Train(name, threads: 1));
        Assert.Equal(one, Bits(Train(name, threads: 2)));
        Assert.Equal(one, Bits(Train(name, threads: 3)));
    }

    [Fact]
    public void TheDefaultPolicySplitsTheseBatchesAndKeepsSmallOnesWhole()
    {
        ShardPolicy policy = ShardPolicy.Default;
        long mlp = MlpParameters(DenseFeatures, 64, 64, 1);                     // 5,569
        Assert.Equal(2, policy.ShardCount(256, mlp));                           // the MLP's batches of 256: two shards of 128 rows
        Assert.Equal(1, policy.ShardCount(200, mlp));                           // a short last batch: one
        Assert.Equal(2, policy.ShardCount(256, MlpParameters(DenseFeatures, 256, 256, 1)));
        Assert.Equal(4, policy.ShardCount(512, MlpParameters(DenseFeatures, 256, 256, 1)));
        Assert.Equal(1, policy.ShardCount(256, MlpParameters(DenseFeatures, 32, 0, 1))); // a small MLP's batches stay whole
        Assert.Equal(1, policy.ShardCount(256, DenseFeatures + 1));             // the linear model's batches of 256 stay whole
        Assert.Equal(1, policy.ShardCount(25_600, DenseFeatures + 1));          // and its grown batches of 25,600
        Assert.Equal(2, policy.ShardCount(56_000, DenseFeatures + 1));          // the linear full batch of the test below
        Assert.Equal(16, policy.ShardCount(1_000_000, DenseFeatures + 1));      // at most 16
        Assert.Equal(2, policy.ShardCount(20_000, (DenseFeatures * 3) + 3));    // the multiclass linear batch below
        Assert.Equal(4, policy.ShardCount(1_024, 129 + (30 * 64)));             // the sparse MLP: 30 non-zeros of 2,000 slots read, 64 wide
        Assert.Equal(2, policy.ShardCount(36_000, 1 + 30));                     // the sparse linear full batch
    }

    [Fact]
    public void ANumberOfThreadsBelowOneIsRefusedNamingTheOptionAndTheCores()
    {
        var options = new GradientDescentRegressionTrainer.Options { NumberOfThreads = 0 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext().Regression.Trainers.GradientDescent(options));
        Assert.Equal("NumberOfThreads", error.ParamName);
        Assert.Contains("NumberOfThreads must be at least 1 (1 trains on the calling thread alone)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"every core ({Environment.ProcessorCount} on this machine), but was 0", error.Message, StringComparison.Ordinal);

        var settingsError = Assert.Throws<ArgumentOutOfRangeException>(() => new ModuleTrainer(new TrainerSettings { NumberOfThreads = -2 }));
        Assert.Equal("NumberOfThreads", settingsError.ParamName);
        Assert.Contains("but was -2", settingsError.Message, StringComparison.Ordinal);
    }

    private static long MlpParameters(int inputs, int first, int second, int outputs) => second == 0
        ? ((long)inputs * first) + first + ((long)first * outputs) + outputs
        : ((long)inputs * first) + first + ((long)first * second) + second + ((long)second * outputs) + outputs;

    private static GradientDescentModelParameters Train(string name, int threads)
    {
        var mlContext = new MLContext(seed: 1);
        switch (name)
        {
            case "regression MLP":
                return mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
                {
                    HiddenLayers = [64, 64], Dropout = 0.1f, BatchSize = 256, NumberOfEpochs = 6, ValidationFraction = 0.2f,
                    EarlyStopping = new EarlyStopping { Patience = 2 }, Seed = 5, NumberOfThreads = threads,
                }).Fit(Dense(mlContext, 1_500, Label.Regression)).Model;
            case "binary MLP":
                return mlContext.BinaryClassification.Trainers.GradientDescent(new GradientDescentBinaryTrainer.Options
                {
                    HiddenLayers = [64, 64], Dropout = 0.2f, BatchSize = 256, NumberOfEpochs = 6, ValidationFraction = 0.2f,
                    EarlyStopping = new EarlyStopping { Patience = 2 }, Seed = 5, NumberOfThreads = threads,
                }).Fit(Dense(mlContext, 1_500, Label.Binary)).Model;
            case "multiclass MLP":
                return mlContext.MulticlassClassification.Trainers.GradientDescent(new GradientDescentMulticlassTrainer.Options
                {
                    HiddenLayers = [64, 64], Dropout = 0.1f, BatchSize = 256, NumberOfEpochs = 6, ValidationFraction = 0.2f,
                    EarlyStopping = new EarlyStopping { Patience = 2 }, Seed = 5, NumberOfThreads = threads,
                }).Fit(Dense(mlContext, 1_500, Label.Multiclass)).Model;
            case "regression linear":
                // 70,000 rows, 56,000 of them trained in full batches of two shards; the defaults otherwise (the adaptive schedule
                // has nothing to grow), the exact loss and validation passes included.
                return mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
                {
                    BatchSize = GradientDescentTrainerOptions.FullBatch, NumberOfEpochs = 8, ValidationFraction = 0.2f,
                    EarlyStopping = new EarlyStopping { Patience = 3 }, Seed = 5, NumberOfThreads = threads,
                }).Fit(Dense(mlContext, 70_000, Label.Regression)).Model;
            case "multiclass linear":
                return mlContext.MulticlassClassification.Trainers.GradientDescent(new GradientDescentMulticlassTrainer.Options
                {
                    BatchSize = 20_000, NumberOfEpochs = 5, ValidationFraction = 0.2f,
                    EarlyStopping = new EarlyStopping { Patience = 3 }, Seed = 5, NumberOfThreads = threads,
                }).Fit(Dense(mlContext, 50_000, Label.Multiclass)).Model;
            case "binary sparse MLP":
                return mlContext.BinaryClassification.Trainers.GradientDescent(new GradientDescentBinaryTrainer.Options
                {
                    HiddenLayers = [64], Dropout = 0.2f, BatchSize = 1_024, NumberOfEpochs = 5, ValidationFraction = 0.2f,
                    EarlyStopping = new EarlyStopping { Patience = 2 }, Seed = 5, NumberOfThreads = threads,
                }).Fit(Sparse(mlContext, 4_000)).Model;
            default:
                // The sparse default: 10% held out and early stopping; plain SGD with the default L2 penalty, its decay paid lazily.
                return mlContext.BinaryClassification.Trainers.GradientDescent(new GradientDescentBinaryTrainer.Options
                {
                    BatchSize = GradientDescentTrainerOptions.FullBatch, NumberOfEpochs = 4, Seed = 5, NumberOfThreads = threads,
                }).Fit(Sparse(mlContext, 40_000)).Model;
        }
    }

    private static int[] Bits(GradientDescentModelParameters model)
    {
        var bits = new List<int>();
        foreach (DenseLayer layer in model.Layers)
        {
            foreach (float value in layer.Weights.Span)
            {
                bits.Add(BitConverter.SingleToInt32Bits(value));
            }

            foreach (float value in layer.Bias.Span)
            {
                bits.Add(BitConverter.SingleToInt32Bits(value));
            }
        }

        Assert.True(model.History.EpochsRun >= 2, $"only {model.History.EpochsRun} epochs ran");
        foreach (EpochReport epoch in model.History.Epochs)
        {
            bits.Add(BitConverter.SingleToInt32Bits(epoch.TrainingLoss));
            bits.Add(BitConverter.SingleToInt32Bits(epoch.ValidationLoss));
        }

        return [.. bits];
    }

    private static IDataView Dense(MLContext mlContext, int rows, Label label)
    {
        var random = new Random(17);
        var list = new List<DenseRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            var x = new float[DenseFeatures];
            double score = 0;
            for (int j = 0; j < DenseFeatures; j++)
            {
                x[j] = (float)((random.NextDouble() * 4) - 2);
                score += x[j] * Math.Cos(j);
            }

            score += Math.Sin(x[0] * x[1]);
            list.Add(new DenseRow
            {
                Features = x,
                Value = (float)(score + (0.2 * (random.NextDouble() - 0.5))),
                Flag = random.NextDouble() < 1 / (1 + Math.Exp(-score)),
                Class = score < -1 ? 1u : score < 1 ? 2u : 3u,
            });
        }

        SchemaDefinition definition = SchemaDefinition.Create(typeof(DenseRow));
        definition[nameof(DenseRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, DenseFeatures);
        definition[nameof(DenseRow.Class)].ColumnType = new KeyDataViewType(typeof(uint), 3);
        IDataView view = mlContext.Data.LoadFromEnumerable(list, definition);
        string column = label switch { Label.Regression => nameof(DenseRow.Value), Label.Binary => nameof(DenseRow.Flag), _ => nameof(DenseRow.Class) };
        return mlContext.Transforms.CopyColumns("Label", column).Fit(view).Transform(view);
    }

    private static IDataView Sparse(MLContext mlContext, int rows)
    {
        var random = new Random(23);
        var list = new List<SparseRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            var chosen = new SortedSet<int>();
            while (chosen.Count < 30)
            {
                chosen.Add(chosen.Count < 5 ? random.Next(50) : random.Next(SparseSlots));
            }

            int[] indices = [.. chosen];
            float[] values = [.. indices.Select(_ => (float)(random.NextDouble() + 0.5))];
            double score = 0;
            for (int k = 0; k < indices.Length; k++)
            {
                score += indices[k] < 50 ? values[k] * Math.Sin(indices[k]) : 0;
            }

            list.Add(new SparseRow { Features = new VBuffer<float>(SparseSlots, indices.Length, values, indices), Label = random.NextDouble() < 1 / (1 + Math.Exp(-2 * score)) });
        }

        SchemaDefinition definition = SchemaDefinition.Create(typeof(SparseRow));
        definition[nameof(SparseRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, SparseSlots);
        return mlContext.Data.LoadFromEnumerable(list, definition);
    }

    private enum Label
    {
        Regression,
        Binary,
        Multiclass,
    }

    private sealed class DenseRow
    {
        public float[] Features = [];

        public float Value;

        public bool Flag;

        public uint Class;
    }

    private sealed class SparseRow
    {
        public VBuffer<float> Features;

        public bool Label;
    }
}
