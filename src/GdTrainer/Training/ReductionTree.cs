namespace GdTrainer.Training;

/// <summary>
/// The fixed order in which the gradients of a batch's micro-shards are summed: a pairwise tree over the shard indices, the
/// same for any number of threads or processes. A node is a range of shards <c>[start, start + count)</c>; a node of more than
/// one shard has the children <c>[start, start + h)</c> and <c>[start + h, start + count)</c>, h the largest power of two below
/// count, and its sum is its left child's plus its right child's, kept where the left child's was (the buffer of shard
/// <c>start</c>). So 4 shards sum as <c>(g0 + g1) + (g2 + g3)</c> and 3 as <c>(g0 + g1) + g2</c>.
/// </summary>
/// <remarks>
/// Only the operands of each addition decide its bits, not where or when it runs: threads may compute the shards in any order,
/// and processes may each sum the whole subtrees inside their block of shards (<see cref="Subtrees"/>) and exchange those sums,
/// then finish the tree above them (<see cref="CombinesAbove"/>): every way gives the same bits. (An MPI all-reduce with
/// <c>MPI_SUM</c> promises no order, and its result changes with the number of processes.)
/// </remarks>
internal static class ReductionTree
{
    /// <summary>The most nodes or additions a tree over <paramref name="shardCount"/> shards has: what the span arguments need.</summary>
    internal static int Capacity(int shardCount) => Math.Max(shardCount, 1);

    /// <summary>
    /// Writes the additions inside node <c>[start, start + count)</c>, children before parents, as (into, from): the node starting
    /// at shard <c>into</c> adds the node starting at shard <c>from</c> into itself. Returns their number, <c>count - 1</c>.
    /// </summary>
    internal static int CombinesWithin(int start, int count, Span<(int Into, int From)> combines)
    {
        int written = 0;
        Within(start, count, combines, ref written);
        return written;
    }

    /// <summary>
    /// Writes the maximal whole subtrees inside the block of shards <c>[first, first + count)</c> of the tree over
    /// <paramref name="shardCount"/> shards, in shard order, as (start, count): the sums a process that computed that block
    /// contributes. Returns their number (0 for an empty block).
    /// </summary>
    internal static int Subtrees(int shardCount, int first, int count, Span<(int Start, int Count)> subtrees)
    {
        int written = 0;
        if (count > 0)
        {
            Collect(0, shardCount, first, first + count, subtrees, ref written);
        }

        return written;
    }

    /// <summary>
    /// Writes the additions of the tree over <paramref name="shardCount"/> shards that lie above <paramref name="nodes"/> (whole
    /// subtrees that partition the shards, in shard order, e.g. every process's <see cref="Subtrees"/>), children before parents.
    /// Returns their number, <c>nodes.Length - 1</c>.
    /// </summary>
    internal static int CombinesAbove(int shardCount, ReadOnlySpan<(int Start, int Count)> nodes, Span<(int Into, int From)> combines)
    {
        int written = 0;
        int next = 0;
        Above(0, shardCount, nodes, ref next, combines, ref written);
        return written;
    }

    /// <summary>The largest power of two strictly below <paramref name="count"/> (at least 2): the size of a node's left child.</summary>
    internal static int LeftSize(int count)
    {
        int size = 1;
        while (size * 2 < count)
        {
            size *= 2;
        }

        return size;
    }

    private static void Within(int start, int count, Span<(int Into, int From)> combines, ref int written)
    {
        if (count <= 1)
        {
            return;
        }

        int left = LeftSize(count);
        Within(start, left, combines, ref written);
        Within(start + left, count - left, combines, ref written);
        combines[written++] = (start, start + left);
    }

    private static void Collect(int start, int count, int first, int end, Span<(int Start, int Count)> subtrees, ref int written)
    {
        if (start >= end || start + count <= first)
        {
            return;
        }

        if (start >= first && start + count <= end)
        {
            subtrees[written++] = (start, count);
            return;
        }

        int left = LeftSize(count);
        Collect(start, left, first, end, subtrees, ref written);
        Collect(start + left, count - left, first, end, subtrees, ref written);
    }

    private static void Above(int start, int count, ReadOnlySpan<(int Start, int Count)> nodes, ref int next, Span<(int Into, int From)> combines, ref int written)
    {
        if (next < nodes.Length && nodes[next] == (start, count))
        {
            next++;
            return;
        }

        if (count <= 1)
        {
            throw new ArgumentException($"The nodes do not partition the shards into subtrees of the reduction tree: shard {start} is not covered.", nameof(nodes));
        }

        int left = LeftSize(count);
        Above(start, left, nodes, ref next, combines, ref written);
        Above(start + left, count - left, nodes, ref next, combines, ref written);
        combines[written++] = (start, start + left);
    }
}
