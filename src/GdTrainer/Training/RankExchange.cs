namespace GdTrainer.Training;

using GdTrainer.Autograd;

/// <summary>
/// What the ranks of a data-parallel run exchange in each step of <see cref="ShardedStep"/>: rank r computes the shards
/// <c>[S r / R, S (r + 1) / R)</c> of every batch of S shards, sums the maximal whole subtrees of the reduction tree inside that
/// block, and sends those sums; every rank decodes the others' into the sinks of their first shards and finishes the tree above
/// them, so every rank ends with the bits one process would have computed. The losses and weights of the shards travel the same
/// way, so every rank reports, checks and stops on the same losses.
/// </summary>
/// <remarks>
/// A subtree's sum travels as, per parameter: whether anything was written, whether it is dense, the number of touched rows and
/// the row length (integers as float bits), then either every element or, for a gradient only sparse products wrote, each touched
/// row's index and values, so that a sparse gradient keeps its rows (and the optimizer's step stays sparse, as in one process).
/// After a rank's subtree sums come its shards' losses and weights (three floats a shard: the loss, the weight's two halves as
/// bits). Per step: one exchange of the payloads' lengths (a double per rank) and one of the payloads, which each rank writes
/// straight into the communicator's memory (<see cref="IShardCommunicator.StageAllGather"/>). Measured on the two-rank
/// <c>[256, 256]</c> MLP epoch (docs/distributed.md): the in-place payload took the exchange from 1,578-1,964 to 1,102-1,202 ms
/// a fit; the losses in the payload saved the third collective of every step.
/// </remarks>
internal sealed class RankExchange(ShardedStep owner, IShardCommunicator communicator)
{
    private const int HeaderLength = 4;

    /// <summary>The floats of a shard's loss and weight in the payload: the loss, then the weight's low and high 32 bits.</summary>
    private const int LossLength = 3;

    private double[] _lengths = [];
    private double[] _losses = [];
    private double[] _gatheredLosses = [];
    private int[] _counts = new int[communicator.Size];
    private int[] _rows = [];

    /// <summary>The first shard of rank <paramref name="rank"/>'s block of <paramref name="shards"/> shards among <paramref name="ranks"/> ranks (<paramref name="rank"/> = R gives the end).</summary>
    internal static int BlockStart(int shards, int ranks, int rank) => (int)((long)shards * rank / ranks);

    /// <summary>
    /// Sums this rank's shards' gradients by the subtrees of its block, exchanges the subtrees' sums, and finishes the tree: the
    /// parameters' gradients (slot 0's direct sink) then hold the batch's gradient, the same on every rank.
    /// </summary>
    internal void SumGradients(int shards, int first, int end)
    {
        int size = communicator.Size;
        ShardedStep.Slot[] slots = owner.Slots;
        Span<(int Start, int Count)> own = stackalloc (int, int)[ReductionTree.Capacity(shards)];
        Span<(int Into, int From)> combines = stackalloc (int, int)[ReductionTree.Capacity(shards)];
        int ownCount = ReductionTree.Subtrees(shards, first, end - first, own);
        int combineCount = 0;
        for (int s = 0; s < ownCount; s++)
        {
            combineCount += ReductionTree.CombinesWithin(own[s].Start, own[s].Count, combines[combineCount..]);
        }

        owner.Sum(combines[..combineCount]);

        int length = (end - first) * LossLength;
        for (int s = 0; s < ownCount; s++)
        {
            length += EncodedLength(slots[own[s].Start].Sink);
        }

        if (_lengths.Length < size)
        {
            _lengths = new double[size];
        }

        Span<int> ones = _counts;
        ones.Fill(1);
        communicator.AllGather([length], _lengths.AsSpan(0, size), ones);
        for (int r = 0; r < size; r++)
        {
            _counts[r] = (int)_lengths[r];
        }

        // The sums are written straight into the communicator's memory, where the other ranks' arrive.
        Span<float> payload = communicator.StageAllGather(_counts);
        int written = 0;
        for (int s = 0; s < ownCount; s++)
        {
            written = Encode(slots[own[s].Start].Sink, payload, written);
        }

        for (int j = first; j < end; j++)
        {
            // The shards' losses and weights travel with the sums (one collective less a step), as bits: the float loss, the
            // double weight's two halves.
            long weight = BitConverter.DoubleToInt64Bits(slots[j].Weight);
            payload[written++] = slots[j].Loss;
            payload[written++] = BitConverter.Int32BitsToSingle((int)weight);
            payload[written++] = BitConverter.Int32BitsToSingle((int)(weight >> 32));
        }

        if (written != length)
        {
            throw new InvalidOperationException($"Rank {communicator.Rank} encoded {written} floats of gradient sums where it announced {length}.");
        }

        ReadOnlySpan<float> gathered = communicator.AllGatherStaged();

        Span<(int Start, int Count)> all = stackalloc (int, int)[ReductionTree.Capacity(shards)];
        int allCount = 0;
        int at = 0;
        for (int r = 0; r < size; r++)
        {
            int blockStart = BlockStart(shards, size, r);
            int count = ReductionTree.Subtrees(shards, blockStart, BlockStart(shards, size, r + 1) - blockStart, all[allCount..]);
            for (int s = allCount; s < allCount + count; s++)
            {
                GradientSink sink = slots[all[s].Start].Sink;
                if (r == communicator.Rank)
                {
                    at = Skip(sink, gathered, at); // This rank's own sums are in place already.
                }
                else
                {
                    sink.Clear();
                    at = Decode(sink, gathered, at);
                }
            }

            allCount += count;
            for (int j = blockStart; j < BlockStart(shards, size, r + 1); j++, at += LossLength)
            {
                if (r != communicator.Rank)
                {
                    slots[j].Loss = gathered[at];
                    slots[j].Weight = BitConverter.Int64BitsToDouble(
                        ((long)BitConverter.SingleToInt32Bits(gathered[at + 2]) << 32) | (uint)BitConverter.SingleToInt32Bits(gathered[at + 1]));
                }
            }
        }

        owner.Sum(combines[..ReductionTree.CombinesAbove(shards, all[..allCount], combines)]);
    }

    /// <summary>Gives every rank every shard's weighted loss sum of an evaluation batch, in the slots.</summary>
    internal void GatherLosses(int shards, int first, int end)
    {
        int size = communicator.Size;
        ShardedStep.Slot[] slots = owner.Slots;
        if (_losses.Length < shards)
        {
            _losses = new double[shards];
            _gatheredLosses = new double[shards];
        }

        int length = 0;
        for (int j = first; j < end; j++)
        {
            _losses[length++] = slots[j].WeightedLoss;
        }

        for (int r = 0; r < size; r++)
        {
            _counts[r] = BlockStart(shards, size, r + 1) - BlockStart(shards, size, r);
        }

        communicator.AllGather(_losses.AsSpan(0, length), _gatheredLosses.AsSpan(0, shards), _counts);
        for (int j = 0; j < shards; j++)
        {
            slots[j].WeightedLoss = _gatheredLosses[j];
        }
    }

    /// <summary>The floats <see cref="Encode"/> writes for a sink.</summary>
    private static int EncodedLength(GradientSink sink)
    {
        int length = 0;
        for (int i = 0; i < sink.Count; i++)
        {
            bool written = sink.IsWritten(i);
            bool dense = !written || sink.IsDense(i);
            length += HeaderLength + (!written ? 0 : dense ? sink.Length(i) : sink.TouchedRows(i).Length * (1 + sink.RowLength(i)));
        }

        return length;
    }

    /// <summary>Writes a sink's gradients into <paramref name="payload"/> at <paramref name="at"/>; returns the new end.</summary>
    private static int Encode(GradientSink sink, Span<float> payload, int at)
    {
        for (int i = 0; i < sink.Count; i++)
        {
            bool written = sink.IsWritten(i);
            bool dense = !written || sink.IsDense(i);
            ReadOnlySpan<int> rows = dense ? default : sink.TouchedRows(i);
            int rowLength = dense ? 1 : sink.RowLength(i);
            payload[at++] = written ? 1f : 0f;
            payload[at++] = dense ? 1f : 0f;
            payload[at++] = BitConverter.Int32BitsToSingle(rows.Length);
            payload[at++] = BitConverter.Int32BitsToSingle(rowLength);
            if (!written)
            {
                continue;
            }

            ReadOnlySpan<float> gradient = sink.Gradient(i);
            if (dense)
            {
                gradient.CopyTo(payload[at..]);
                at += gradient.Length;
                continue;
            }

            foreach (int row in rows)
            {
                payload[at++] = BitConverter.Int32BitsToSingle(row);
                gradient.Slice(row * rowLength, rowLength).CopyTo(payload[at..]);
                at += rowLength;
            }
        }

        return at;
    }

    /// <summary>Writes a gathered subtree sum at <paramref name="at"/> into <paramref name="sink"/> (cleared); returns where the next begins.</summary>
    private int Decode(GradientSink sink, ReadOnlySpan<float> gathered, int at)
    {
        for (int i = 0; i < sink.Count; i++)
        {
            bool written = gathered[at] != 0f;
            bool dense = gathered[at + 1] != 0f;
            int rowCount = BitConverter.SingleToInt32Bits(gathered[at + 2]);
            int rowLength = BitConverter.SingleToInt32Bits(gathered[at + 3]);
            at += HeaderLength;
            if (!written)
            {
                continue;
            }

            if (dense)
            {
                sink.PrepareDense(i);
                Span<float> gradient = sink.Gradient(i);
                gathered.Slice(at, gradient.Length).CopyTo(gradient);
                at += gradient.Length;
                continue;
            }

            if (_rows.Length < rowCount)
            {
                _rows = new int[Math.Max(rowCount, _rows.Length * 2)];
            }

            for (int k = 0; k < rowCount; k++)
            {
                _rows[k] = BitConverter.SingleToInt32Bits(gathered[at + (k * (1 + rowLength))]);
            }

            sink.PrepareRows(i, _rows.AsSpan(0, rowCount), rowLength);
            Span<float> target = sink.Gradient(i);
            for (int k = 0; k < rowCount; k++)
            {
                gathered.Slice(at + (k * (1 + rowLength)) + 1, rowLength).CopyTo(target.Slice(_rows[k] * rowLength, rowLength));
            }

            at += rowCount * (1 + rowLength);
        }

        return at;
    }

    /// <summary>Steps over a subtree sum this rank encoded itself; returns where the next begins.</summary>
    private static int Skip(GradientSink sink, ReadOnlySpan<float> gathered, int at)
    {
        for (int i = 0; i < sink.Count; i++)
        {
            bool written = gathered[at] != 0f;
            bool dense = gathered[at + 1] != 0f;
            int rowCount = BitConverter.SingleToInt32Bits(gathered[at + 2]);
            int rowLength = BitConverter.SingleToInt32Bits(gathered[at + 3]);
            at += HeaderLength + (!written ? 0 : dense ? sink.Length(i) : rowCount * (1 + rowLength));
        }

        return at;
    }
}
