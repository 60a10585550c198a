namespace GdTrainer.Tests.Training;

using System.Numerics.Tensors;
using GdTrainer.Training;

/// <summary>
/// The fixed order of the shards' sums: pairs, then pairs of pairs; any split of the shards into contiguous blocks (threads,
/// ranks) that sums the whole subtrees of each block and then the tree above them gives the same bits as the whole tree.
/// </summary>
public sealed class ReductionTreeTests
{
    [Theory]
    [InlineData(1, "")]
    [InlineData(2, "0+1")]
    [InlineData(3, "0+1 0+2")]
    [InlineData(4, "0+1 2+3 0+2")]
    [InlineData(5, "0+1 2+3 0+2 0+4")]
    [InlineData(6, "0+1 2+3 0+2 4+5 0+4")]
    [InlineData(8, "0+1 2+3 0+2 4+5 6+7 4+6 0+4")]
    public void TheTreeAddsPairsThenPairsOfPairsChildrenFirst(int shards, string expected)
    {
        Span<(int Into, int From)> combines = stackalloc (int, int)[ReductionTree.Capacity(shards)];
        int count = ReductionTree.CombinesWithin(0, shards, combines);
        Assert.Equal(expected, string.Join(" ", combines[..count].ToArray().Select(c => $"{c.Into}+{c.From}")));
    }

    [Theory]
    [InlineData(8, 0, 8, "0:8")]
    [InlineData(8, 0, 3, "0:2 2:1")]
    [InlineData(8, 3, 5, "3:1 4:4")]
    [InlineData(6, 1, 4, "1:1 2:2 4:1")]
    [InlineData(4, 2, 0, "")]
    public void ABlockOfShardsIsSummedByItsMaximalWholeSubtrees(int shards, int first, int count, string expected)
    {
        Span<(int Start, int Count)> subtrees = stackalloc (int, int)[ReductionTree.Capacity(shards)];
        int written = ReductionTree.Subtrees(shards, first, count, subtrees);
        Assert.Equal(expected, string.Join(" ", subtrees[..written].ToArray().Select(s => $"{s.Start}:{s.Count}")));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(11)]
    [InlineData(16)]
    public void EverySplitIntoBlocksSumsToTheWholeTreesBits(int shards)
    {
        // Values of very different magnitudes, so that another association of the additions changes the rounding.
        var random = new Random(shards);
        float[][] gradients = new float[shards][];
        for (int j = 0; j < shards; j++)
        {
            gradients[j] = new float[64];
            for (int e = 0; e < 64; e++)
            {
                gradients[j][e] = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-4, 5)));
            }
        }

        float[] whole = SumByBlocks(gradients, ranks: 1);
        for (int ranks = 2; ranks <= shards + 1; ranks++)
        {
            Assert.Equal(whole, SumByBlocks(gradients, ranks));
        }

        // And the order matters: from 4 shards on ((g0 + g1) + (g2 + g3)) a left-to-right sum differs in some element, so the test
        // would see another order.
        float[] leftToRight = (float[])gradients[0].Clone();
        for (int j = 1; j < shards; j++)
        {
            TensorPrimitives.Add(leftToRight, gradients[j], leftToRight);
        }

        if (shards >= 4)
        {
            Assert.NotEqual(whole, leftToRight);
        }
    }

    [Fact]
    public void NodesThatAreNotSubtreesOfTheTreeAreRefused()
    {
        var combines = new (int, int)[4];
        Assert.Throws<ArgumentException>(() => ReductionTree.CombinesAbove(4, [(0, 1), (1, 2), (3, 1)], combines));
    }

    /// <summary>As ranks would: each block's maximal subtrees summed inside the block, then the tree above all blocks' subtrees.</summary>
    private static float[] SumByBlocks(float[][] gradients, int ranks)
    {
        int shards = gradients.Length;
        float[][] buffers = [.. gradients.Select(g => (float[])g.Clone())];
        var nodes = new List<(int Start, int Count)>();
        var combines = new (int Into, int From)[shards];
        var subtrees = new (int Start, int Count)[shards];
        for (int r = 0; r < ranks; r++)
        {
            int first = shards * r / ranks;
            int count = (shards * (r + 1) / ranks) - first;
            int written = ReductionTree.Subtrees(shards, first, count, subtrees);
            for (int s = 0; s < written; s++)
            {
                nodes.Add(subtrees[s]);
                Apply(buffers, combines, ReductionTree.CombinesWithin(subtrees[s].Start, subtrees[s].Count, combines));
            }
        }

        Apply(buffers, combines, ReductionTree.CombinesAbove(shards, [.. nodes], combines));
        return buffers[0];
    }

    private static void Apply(float[][] buffers, (int Into, int From)[] combines, int count)
    {
        for (int c = 0; c < count; c++)
        {
            TensorPrimitives.Add(buffers[combines[c].Into], buffers[combines[c].From], buffers[combines[c].Into]);
        }
    }
}
