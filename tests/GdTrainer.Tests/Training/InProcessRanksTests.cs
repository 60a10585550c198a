namespace GdTrainer.Tests.Training;

using GdTrainer.Models;
using GdTrainer.Optimizers;
using GdTrainer.Training;
using static GdTrainer.Tests.Training.ShardTestData;

/// <summary>
/// The ranks of a data-parallel run (issue 21's design) as threads of this process: each trains its own copy of the model on the
/// same rows, computes only its block of every batch's shards, and exchanges subtree sums and losses through an
/// <see cref="InProcessCommunicator"/>. Every rank ends with the model one process trains, bit for bit, for 1, 2, 3 and 5 ranks
/// (5 ranks leave some ranks without shards in a batch of 4), and a rank that leaves makes the others fail instead of hang.
/// </summary>
public sealed class InProcessRanksTests
{
    [Theory]
    [InlineData(ShardTask.Regression, false, true)]
    [InlineData(ShardTask.Binary, false, false)]
    [InlineData(ShardTask.Multiclass, false, true)]
    [InlineData(ShardTask.Regression, true, false)]
    [InlineData(ShardTask.Binary, true, true)]
    public void EveryRankOfEveryGroupSizeEndsWithTheSingleProcessModel(ShardTask task, bool sparse, bool mlp)
    {
        int[] single = Fit(task, sparse, mlp, threads: 2, communicator: null);
        foreach (int size in (int[])[1, 2, 3, 5])
        {
            InProcessCommunicator[] group = InProcessCommunicator.CreateGroup(size, TimeSpan.FromSeconds(60));
            var results = new int[size][];
            Parallel.For(0, size, new ParallelOptions { MaxDegreeOfParallelism = size }, rank =>
            {
                using InProcessCommunicator communicator = group[rank];
                results[rank] = Fit(task, sparse, mlp, threads: 1 + (rank % 2), communicator);
            });

            for (int rank = 0; rank < size; rank++)
            {
                Assert.True(single.SequenceEqual(results[rank]), $"rank {rank} of {size} ended with another model than one process");
            }
        }
    }

    [Fact]
    public void AGatherCollectsEveryRanksValuesInRankOrder()
    {
        InProcessCommunicator[] group = InProcessCommunicator.CreateGroup(3, TimeSpan.FromSeconds(30));
        var gathered = new double[3][];
        Parallel.For(0, 3, new ParallelOptions { MaxDegreeOfParallelism = 3 }, rank =>
        {
            gathered[rank] = new double[6];
            double[] mine = [.. Enumerable.Range(0, rank + 1).Select(k => (10.0 * rank) + k)];
            group[rank].AllGather(mine, gathered[rank], [1, 2, 3]);
        });

        foreach (double[] values in gathered)
        {
            Assert.Equal([0.0, 10, 11, 20, 21, 22], values);
        }
    }

    [Fact]
    public void ARankThatLeavesMakesTheOthersFailNamingItInsteadOfWaiting()
    {
        InProcessCommunicator[] group = InProcessCommunicator.CreateGroup(3, TimeSpan.FromSeconds(60));
        group[2].Dispose();
        var errors = new CommunicatorException?[2];
        Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, rank =>
        {
            errors[rank] = Assert.Throws<CommunicatorException>(() => group[rank].AllGather([1f], new float[3], [1, 1, 1]));
        });

        foreach (CommunicatorException? error in errors)
        {
            Assert.Contains("rank 2 left the group", error!.Message);
            Assert.Equal([2], error.FailedRanks);
        }
    }

    [Fact]
    public void ARankThatNeverArrivesMakesTheOthersFailAfterTheTimeout()
    {
        InProcessCommunicator[] group = InProcessCommunicator.CreateGroup(2, TimeSpan.FromMilliseconds(200));
        CommunicatorException error = Assert.Throws<CommunicatorException>(() => group[0].AllGather([1.0], new double[2], [1, 1]));
        Assert.Contains("rank 1 did not take part", error.Message);
        Assert.Equal([1], error.FailedRanks);
    }

    private static int[] Fit(ShardTask task, bool sparse, bool mlp, int threads, InProcessCommunicator? communicator)
    {
        Module model = Model(task, sparse, mlp);
        var settings = new TrainerSettings
        {
            Optimizer = sparse && !mlp ? OptimizerSettings.Sgd() : OptimizerSettings.Adam(),
            LearningRate = sparse && !mlp ? 0.05f : 0.01f,
            L2Regularization = 1e-3f,
            NumberOfEpochs = 4,
            Patience = 0,
            BatchSize = 100,
            ValidationFraction = 0.2f,
            EarlyStopping = new EarlyStopping { Patience = 2 },
            Seed = 3,
            NumberOfThreads = threads,
            ShardPolicy = new ShardPolicy(MinimumRows: 20, MinimumWork: 1, MaximumShards: 8),
            Communicator = communicator,
        };
        TrainingResult result = new ModuleTrainer(settings).Fit(model, Loss(task), Source(task, sparse, rows: 530, weighted: true, seed: 9));
        return Bits(result.Model, result.History);
    }
}
