namespace GdTrainer.Tests.Training;

using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Tests.Autograd;
using GdTrainer.Training;

/// <summary>
/// One step of <see cref="ShardedStep"/>: the shards' gradients and losses add up to the batch's (so sharding changes the rounding,
/// not the objective), the cut follows the model's work per row, one thread starts no other thread, a stray leaf that requires grad
/// is named, and the worker pool runs every part once and reports the first failure.
/// </summary>
public sealed class ShardedStepTests
{
    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(true, 3)]
    public void TheShardsGradientsAndLossesAddUpToTheUnshardedBatchs(bool weighted, int outputs)
    {
        const int Rows = 203; // 8 shards of 25 or 26 rows
        var random = new Random(outputs + (weighted ? 10 : 0));
        float[] x = [.. Enumerable.Range(0, Rows * 5).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        float[] y = [.. Enumerable.Range(0, Rows).Select(i => outputs == 1 ? (float)random.NextDouble() : i % outputs)];
        float[] w = [.. Enumerable.Range(0, Rows).Select(_ => (float)(0.2 + random.NextDouble()))];
        var batch = new TrainingBatch(Tensor.Wrap(x, [Rows, 5]), null, Tensor.Wrap(y, [Rows]), weighted ? Tensor.Wrap(w, [Rows]) : null,
            weighted ? w.Sum(v => (double)v) : Rows, Tensor.Scalar(1.7f));
        Loss loss = outputs == 1 ? new MeanSquaredErrorLoss() : new CrossEntropyLoss();

        (double unshardedLoss, float[][] unsharded) = Step(batch, loss, outputs, ShardPolicy.OneShard, threads: 1);
        (double shardedLoss, float[][] sharded) = Step(batch, loss, outputs, new ShardPolicy(25, 1, 8), threads: 2);
        Assert.Equal(unshardedLoss, shardedLoss, 1e-5 * Math.Abs(unshardedLoss));
        bool anyDifferent = false;
        for (int p = 0; p < unsharded.Length; p++)
        {
            for (int i = 0; i < unsharded[p].Length; i++)
            {
                Assert.Equal(unsharded[p][i], sharded[p][i], 1e-4f * (1 + Math.Abs(unsharded[p][i])));
                anyDifferent |= unsharded[p][i] != sharded[p][i];
            }
        }

        Assert.True(anyDifferent, "eight shards summed by a tree should round at least one gradient element differently");
    }

    [Fact]
    public void TheCutFollowsTheModelsWorkPerRowDenseAndSparse()
    {
        var mlp = new Mlp(20, [64, 64], 1, seed: 1);
        using var denseStep = new ShardedStep(mlp, new MeanSquaredErrorLoss(), 2, 0, ShardPolicy.Default);
        Assert.Equal(2, denseStep.ShardCount(Batch(256, 20)));
        Assert.Equal(1, denseStep.ShardCount(Batch(255, 20)));

        using var linearStep = new ShardedStep(new LinearModel(20), new MeanSquaredErrorLoss(), 2, 0, ShardPolicy.Default);
        Assert.Equal(1, linearStep.ShardCount(Batch(256, 20)));
        Assert.Equal(2, linearStep.ShardCount(Batch(50_000, 20)));

        // A sparse MLP's work is the rows of its first weight that a row reads (25% of 2,000 columns: 500 x 64), not the whole weight.
        (SparseRows rows, _) = SparseLinearTests.RandomRows(256, 2_000, seed: 3);
        var sparseBatch = new TrainingBatch(null, rows, Tensor.Zeros([256]), null, 256, Tensor.Scalar(1f));
        using var sparseStep = new ShardedStep(new Mlp(2_000, [64], 1, seed: 1), new MeanSquaredErrorLoss(), 2, 0, ShardPolicy.Default);
        Assert.Equal(2, sparseStep.ShardCount(sparseBatch));
        using var sparseLinear = new ShardedStep(new LinearModel(2_000), new MeanSquaredErrorLoss(), 2, 0, ShardPolicy.Default);
        Assert.Equal(1, sparseLinear.ShardCount(sparseBatch));
    }

    [Fact]
    public void OneThreadRunsEveryShardOnTheCallingThreadAndTwoUseAHelper()
    {
        TrainingBatch batch = Batch(64, 5);
        var model = new Mlp(5, [8], 1, seed: 2);
        using var one = new ShardedStep(model, new MeanSquaredErrorLoss(), 1, 0, new ShardPolicy(8, 1, 8));
        model.ZeroGrad();
        one.Train(batch, 0);
        Assert.Equal(8, one.ShardCount(batch));
        Assert.False(one.HasWorkers);

        using var two = new ShardedStep(model, new MeanSquaredErrorLoss(), 2, 0, new ShardPolicy(8, 1, 8));
        model.ZeroGrad();
        two.Train(batch, 0);
        Assert.True(two.HasWorkers);
    }

    [Fact]
    public void ALeafThatRequiresGradButIsNoParameterIsNamedWhenBatchesAreSharded()
    {
        var stray = Tensor.Ones([1], requiresGrad: true);
        var model = new StrayLeafModel(stray);
        using var step = new ShardedStep(model, new MeanSquaredErrorLoss(), 2, 0, new ShardPolicy(8, 1, 8));
        var error = Assert.Throws<InvalidOperationException>(() => step.Train(Batch(64, 3), 0));
        Assert.Contains("is not a parameter of the model being trained", error.Message);
        Assert.Contains("RegisterParameter", error.Message);

        // With one shard nothing changes against the unsharded loop: the stray leaf gets its gradient as before.
        using var whole = new ShardedStep(model, new MeanSquaredErrorLoss(), 2, 0, ShardPolicy.OneShard);
        whole.Train(Batch(64, 3), 0);
        Assert.NotNull(stray.Grad);
    }

    [Fact]
    public void ShardsDrawDifferentDropoutMasksThatRepeatForTheSameSeedStepAndShard()
    {
        var dropout = new Dropout(0.5f, new Random(1));
        var seeds = new DropoutSeeds();
        float[] Mask(int seed, long step, int shard)
        {
            seeds.Start(seed, step, shard);
            using DropoutSeeds.Scope scope = seeds.Enter();
            return dropout.Forward(Tensor.Ones([64])).ToArray();
        }

        float[] first = Mask(7, 3, 0);
        Assert.Equal(first, Mask(7, 3, 0));
        Assert.NotEqual(first, Mask(7, 3, 1));
        Assert.NotEqual(first, Mask(7, 4, 0));
        Assert.NotEqual(first, Mask(8, 3, 0));
        Assert.Null(DropoutSeeds.Current); // The scope ended: the layer draws from its own generator again.
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 7)]
    [InlineData(4, 40)]
    public void TheWorkersRunEveryPartOnceAndRethrowTheLowestFailure(int threads, int parts)
    {
        using var workers = new ShardWorkers(threads);
        for (int round = 0; round < 50; round++)
        {
            var job = new CountingJob(parts, failing: -1);
            workers.Run(job, parts);
            Assert.All(job.Runs, runs => Assert.Equal(1, runs));
        }

        if (parts > 2)
        {
            var failing = new CountingJob(parts, failing: 2);
            var error = Assert.Throws<InvalidOperationException>(() => workers.Run(failing, parts));
            Assert.Equal("part 2", error.Message);
            Assert.All(failing.Runs, runs => Assert.Equal(1, runs));
            workers.Run(new CountingJob(parts, failing: -1), parts); // The pool goes on after a failure.
        }
    }

    private static TrainingBatch Batch(int rows, int features)
    {
        var random = new Random(rows);
        float[] x = [.. Enumerable.Range(0, rows * features).Select(_ => (float)random.NextDouble())];
        float[] y = [.. Enumerable.Range(0, rows).Select(_ => (float)random.NextDouble())];
        return new TrainingBatch(Tensor.Wrap(x, [rows, features]), null, Tensor.Wrap(y, [rows]), null, rows, Tensor.Scalar(1f));
    }

    private static (double Loss, float[][] Gradients) Step(TrainingBatch batch, Loss loss, int outputs, ShardPolicy policy, int threads)
    {
        var model = new Mlp(5, [16], outputs, seed: 3);
        using var step = new ShardedStep(model, loss, threads, 0, policy);
        model.ZeroGrad();
        double value = step.Train(batch, 0);
        return (value, [.. model.Parameters().Select(p => p.Grad!.ToArray())]);
    }

    private sealed class StrayLeafModel : Module
    {
        private readonly Linear _layer = new(3, 1, bias: true, new Random(1));
        private readonly Tensor<float> _stray;

        internal StrayLeafModel(Tensor<float> stray)
        {
            _stray = stray;
            RegisterModule("layer", _layer);
        }

        public override Tensor<float> Forward(Tensor<float> input) => _layer.Forward(input).Multiply(_stray);
    }

    private sealed class CountingJob(int parts, int failing) : IShardJob
    {
        internal int[] Runs { get; } = new int[parts];

        public void RunPart(int part)
        {
            Interlocked.Increment(ref Runs[part]);
            if (part >= failing && failing >= 0 && part % 2 == 0)
            {
                throw new InvalidOperationException($"part {part}");
            }
        }
    }
}
