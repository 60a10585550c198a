namespace GdTrainer.Training;

/// <summary>
/// How the data-parallel step cuts a batch into micro-shards. The cut depends only on the batch's rows and the model's work per
/// row, never on the number of threads (or processes), so that every thread count computes the same shards and, summed in the
/// fixed order of <see cref="ReductionTree"/>, the same bits. A batch gets the largest power of two of shards (at most
/// <see cref="MaximumShards"/>) that leaves each at least <see cref="MinimumRows"/> rows and <see cref="MinimumWork"/> row-parameters
/// of work; a batch too small for two such shards is one shard, which is exactly the unsharded step.
/// </summary>
/// <param name="MinimumRows">The fewest rows of a shard.</param>
/// <param name="MinimumWork">The least work of a shard, in row-parameters (rows times the parameters a row's forward pass reads).</param>
/// <param name="MaximumShards">The most shards of a batch.</param>
internal sealed record ShardPolicy(int MinimumRows, long MinimumWork, int MaximumShards)
{
    /// <summary>
    /// The policy of every run: shards of at least 128 rows and 2^19 row-parameters, at most 16 of them.
    /// </summary>
    /// <remarks>
    /// Why these numbers. A shard costs one thread a fixed ~1-2 µs that the unsharded step does not pay (its own graph nodes and
    /// pooled scope, a handoff), plus one addition per gradient element when the shards are summed, while its arithmetic is ~6
    /// flops per row-parameter (one multiply-add forward, two backward), ~30 µs at 2^19 row-parameters and ~100 GFLOP/s. Those
    /// counts predicted a few percent; measured (docs/benchmarks.md, issue 20), one thread loses about 10% against the unsharded
    /// step (MLP epoch on 1M x 20: <c>[64, 64]</c> 271.9 against 247.1 ms, <c>[256, 256]</c> 3,468.8 against 3,132.6 ms), the
    /// half-height products running at a lower share of the FMA peak; two threads gain 1.3x in the same process. For the MLP
    /// <c>[64, 64]</c> on 20 features (5,569 parameters) a batch of 256 is two shards of 128 rows; the linear model on 20
    /// features (21 parameters) needs 24,966 rows a shard, so its batches of 256 stay one shard on one thread (a second thread
    /// could not earn back a handoff on ~1 µs of arithmetic), and only its grown batches and exact loss passes are split. 128
    /// rows keep the matrix kernels' row blocks full and the sum's extra additions per element (one per shard) below ~3% of a
    /// shard's arithmetic at any width. Powers of two balance 2, 4, 8 and 16 threads and align the shards with the reduction
    /// tree's subtrees (whole subtrees per process, issue 21). At most 16 shards bound the memory of their gradients (15 copies
    /// of the parameters' gradients) and still feed 16 cores.
    /// </remarks>
    internal static ShardPolicy Default { get; } = new(128, 1L << 19, 16);

    /// <summary>One shard per batch, whatever its size: today's unsharded step (for measuring what sharding costs one thread).</summary>
    internal static ShardPolicy OneShard { get; } = new(int.MaxValue, long.MaxValue, 1);

    /// <summary>The number of shards of a batch of <paramref name="rows"/> rows whose rows each take <paramref name="workPerRow"/> row-parameters.</summary>
    internal int ShardCount(int rows, long workPerRow)
    {
        double byWork = (double)rows * Math.Max(workPerRow, 1) / MinimumWork;
        double limit = Math.Min(Math.Min(rows / (double)MinimumRows, byWork), MaximumShards);
        if (limit < 2)
        {
            return 1;
        }

        int count = 1;
        while (count * 2 <= limit)
        {
            count *= 2;
        }

        return count;
    }

    /// <summary>The first row of shard <paramref name="shard"/> of <paramref name="shards"/> over <paramref name="rows"/> rows (<c>rows</c> for <c>shard == shards</c>).</summary>
    internal static int ShardStart(int rows, int shards, int shard) => (int)((long)rows * shard / shards);
}
