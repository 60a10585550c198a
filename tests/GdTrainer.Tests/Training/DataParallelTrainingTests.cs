namespace GdTrainer.Tests.Training;

using GdTrainer.Models;
using GdTrainer.Optimizers;
using GdTrainer.Training;
using static GdTrainer.Tests.Training.ShardTestData;

/// <summary>
/// <see cref="TrainerSettings.NumberOfThreads"/> changes nothing in the trained model: 1, 2 and 3 threads give the same bits for
/// the linear model and an MLP with dropout, regression, binary and multiclass, dense and sparse rows (wider than 1,024 columns),
/// with example weights, validation and early stopping. The tests cut batches into many small shards (a policy of 8-row shards)
/// so that small data runs every part of the machinery: up to 16 shards a batch, short last batches of fewer shards, the tree's
/// uneven sums, sparse gradients summed by rows with SGD's lazy weight decay, and the exact loss passes.
/// </summary>
public sealed class DataParallelTrainingTests
{
    /// <summary>Shards of at least 8 rows, whatever the model's size: a batch of 100 is 8 shards, the validation pass 16.</summary>
    internal static readonly ShardPolicy SmallShards = new(MinimumRows: 8, MinimumWork: 1, MaximumShards: 16);

    public static TheoryData<ShardTask, bool, bool> Problems()
    {
        var problems = new TheoryData<ShardTask, bool, bool>();
        foreach (ShardTask task in Enum.GetValues<ShardTask>())
        {
            foreach (bool sparse in (bool[])[false, true])
            {
                foreach (bool mlp in (bool[])[false, true])
                {
                    problems.Add(task, sparse, mlp);
                }
            }
        }

        return problems;
    }

    [Theory]
    [MemberData(nameof(Problems))]
    public void OneTwoAndThreeThreadsGiveBitIdenticalModels(ShardTask task, bool sparse, bool mlp)
    {
        int[] one = Train(task, sparse, mlp, threads: 1);
        int[] two = Train(task, sparse, mlp, threads: 2);
        int[] three = Train(task, sparse, mlp, threads: 3);
        Assert.Equal(one, two);
        Assert.Equal(one, three);
    }

    [Fact]
    public void StreamedWeightedRowsTrainBitIdenticalModelsOnOneTwoAndThreeThreads()
    {
        // A streamed batch is gathered into buffers the next batch reuses, and a weighted one is a new record every step: the
        // shards' views and weights must follow both.
        var random = new Random(8);
        float[][] features = [.. Enumerable.Range(0, 640).Select(_ => Enumerable.Range(0, 4).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray())];
        float[] labels = [.. features.Select(x => (float)(Math.Sin(3 * x[0]) + (x[1] * x[2])))];
        float[] weights = [.. features.Select(_ => (float)(0.5 + random.NextDouble()))];
        TrainingResult Fit(int threads, float dropout, ShardPolicy policy)
        {
            var model = new Mlp(4, [16], 1, dropout: dropout, seed: 2);
            return new ModuleTrainer(new TrainerSettings
            {
                NumberOfEpochs = 5, Patience = 0, BatchSize = 64, ValidationFraction = 0.25f, EarlyStopping = new EarlyStopping { Patience = 2 },
                Seed = 4, NumberOfThreads = threads, ShardPolicy = policy,
            }).Fit(model, Loss(ShardTask.Regression), new ArrayRowStream(features, labels, weights).Source(bufferRows: 200));
        }

        int[] Train(int threads)
        {
            TrainingResult result = Fit(threads, 0.2f, SmallShards);
            return Bits(result.Model, result.History);
        }

        int[] one = Train(1);
        Assert.Equal(one, Train(2));
        Assert.Equal(one, Train(3));

        // And the shards of every streamed batch weigh what they hold: without dropout, the losses are those of one shard a batch.
        TrainingHistory sharded = Fit(2, 0f, SmallShards).History;
        TrainingHistory whole = Fit(2, 0f, ShardPolicy.OneShard).History;
        for (int e = 0; e < whole.EpochsRun; e++)
        {
            Assert.Equal(whole.Epochs[e].TrainingLoss, sharded.Epochs[e].TrainingLoss, 1e-4 * whole.Epochs[e].TrainingLoss);
            Assert.Equal(whole.Epochs[e].ValidationLoss, sharded.Epochs[e].ValidationLoss, 1e-4 * whole.Epochs[e].ValidationLoss);
        }
    }

    [Fact]
    public void AWarmStartContinuesTheShardsDropoutMasksSoThreeEpochsThenTwoEqualFive()
    {
        // The masks are seeded by the step's index in the run; a warm start counts the earlier run's steps.
        TrainingSource Rows() => Source(ShardTask.Regression, sparse: false, rows: 500, weighted: false, seed: 6);
        TrainerSettings Settings(int epochs) => new()
        {
            Optimizer = OptimizerSettings.Sgd(), LearningRate = 0.02f, NumberOfEpochs = epochs, Patience = 0, BatchSize = 50,
            Seed = 2, NumberOfThreads = 2, ShardPolicy = SmallShards,
        };

        Module once = Model(ShardTask.Regression, sparse: false, mlp: true);
        TrainingResult five = new ModuleTrainer(Settings(5)).Fit(once, Loss(ShardTask.Regression), Rows());

        Module twice = Model(ShardTask.Regression, sparse: false, mlp: true);
        TrainingResult three = new ModuleTrainer(Settings(3)).Fit(twice, Loss(ShardTask.Regression), Rows());
        TrainingResult two = new ModuleTrainer(Settings(2)).Fit(twice, Loss(ShardTask.Regression), Rows(), continueFrom: three.History);
        Assert.Equal(Bits(five.Model, five.History), Bits(two.Model, two.History));
    }

    [Fact]
    public void ShardedTrainingGivesAnotherButEquallyGoodModelThanOneShardPerBatch()
    {
        // Not the same bits (the shards' sums round differently), but the same optimisation: the losses agree closely.
        (TrainingHistory sharded, _) = Fit(ShardTask.Regression, sparse: false, mlp: false, threads: 2, SmallShards);
        (TrainingHistory single, _) = Fit(ShardTask.Regression, sparse: false, mlp: false, threads: 2, ShardPolicy.OneShard);
        Assert.Equal(single.EpochsRun, sharded.EpochsRun);
        for (int e = 0; e < single.EpochsRun; e++)
        {
            Assert.Equal(single.Epochs[e].TrainingLoss, sharded.Epochs[e].TrainingLoss, 1e-4 * Math.Abs(single.Epochs[e].TrainingLoss));
            Assert.Equal(single.Epochs[e].ValidationLoss, sharded.Epochs[e].ValidationLoss, 1e-4 * Math.Abs(single.Epochs[e].ValidationLoss));
        }
    }

    private static int[] Train(ShardTask task, bool sparse, bool mlp, int threads)
    {
        (TrainingHistory history, Module model) = Fit(task, sparse, mlp, threads, SmallShards);
        Assert.True(history.EpochsRun >= 2, $"only {history.EpochsRun} epochs ran");
        return Bits(model, history);
    }

    private static (TrainingHistory History, Module Model) Fit(ShardTask task, bool sparse, bool mlp, int threads, ShardPolicy policy)
    {
        Module model = Model(task, sparse, mlp);
        var settings = new TrainerSettings
        {
            // Sparse rows train the linear model by plain SGD with an L2 penalty, whose decay of untouched rows is paid lazily.
            Optimizer = sparse && !mlp ? OptimizerSettings.Sgd() : OptimizerSettings.Adam(),
            LearningRate = sparse && !mlp ? 0.05f : 0.01f,
            L2Regularization = 1e-3f,
            NumberOfEpochs = 6,
            Patience = 0,
            BatchSize = 100,
            ValidationFraction = 0.2f,
            EarlyStopping = new EarlyStopping { Patience = 2 },
            Seed = 11,
            NumberOfThreads = threads,
            ShardPolicy = policy,
        };
        TrainingResult result = new ModuleTrainer(settings).Fit(model, Loss(task), Source(task, sparse, rows: 730, weighted: task != ShardTask.Multiclass, seed: 5));
        return (result.History, result.Model);
    }
}
