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
/// Per step: one exchange of the payloads' lengths (a double per rank), one of the payloads (the parameters' size per subtree, or
/// the touched rows), one of the losses (two doubles per shard).
/// </remarks>
internal sealed class RankExchange(ShardedStep owner, IShardCommunicator communicator)
{
    private const int HeaderLength = 4;

    private float[] _payload = [];
    private float[] _gathered = [];
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

        int length = 0;
        for (int s = 0; s < ownCount; s++)
        {
            length = Encode(slots[own[s].Start].Sink, length);
        }

        if (_lengths.Length < size)
        {
            _lengths = new double[size];
        }

        Span<int> ones = _counts;
        ones.Fill(1);
        communicator.AllGather([length], _lengths.AsSpan(0, size), ones);
        long total = 0;
        for (int r = 0; r < size; r++)
        {
            _counts[r] = (int)_lengths[r];
            total += _counts[r];
        }

        if (_gathered.Length < total)
        {
            _gathered = new float[Math.Max(total, _gathered.Length * 2L)];
        }

        communicator.AllGather(_payload.AsSpan(0, length), _gathered.AsSpan(0, (int)total), _counts);

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
                    at = Skip(sink, at); // This rank's own sums are in place already.
                }
                else
                {
                    sink.Clear();
                    at = Decode(sink, at);
                }
            }

            allCount += count;
        }

        owner.Sum(combines[..ReductionTree.CombinesAbove(shards, all[..allCount], combines)]);
    }

    /// <summary>
    /// Gives every rank every shard's loss and weight of a training step (<paramref name="training"/>) or weighted loss sum of an
    /// evaluation batch, in the slots.
    /// </summary>
    internal void GatherLosses(int shards, int first, int end, bool training)
    {
        int size = communicator.Size;
        int perShard = training ? 2 : 1;
        ShardedStep.Slot[] slots = owner.Slots;
        if (_losses.Length < shards * perShard)
        {
            _losses = new double[shards * perShard];
            _gatheredLosses = new double[shards * perShard];
        }

        int length = 0;
        for (int j = first; j < end; j++)
        {
            if (training)
            {
                _losses[length++] = slots[j].Loss;
                _losses[length++] = slots[j].Weight;
            }
            else
            {
                _losses[length++] = slots[j].WeightedLoss;
            }
        }

        for (int r = 0; r < size; r++)
        {
            _counts[r] = (BlockStart(shards, size, r + 1) - BlockStart(shards, size, r)) * perShard;
        }

        communicator.AllGather(_losses.AsSpan(0, length), _gatheredLosses.AsSpan(0, shards * perShard), _counts);
        for (int j = 0; j < shards; j++)
        {
            if (training)
            {
                slots[j].Loss = (float)_gatheredLosses[2 * j];
                slots[j].Weight = _gatheredLosses[(2 * j) + 1];
            }
            else
            {
                slots[j].WeightedLoss = _gatheredLosses[j];
            }
        }
    }

    /// <summary>Appends a sink's gradients to the payload at <paramref name="at"/>; returns the new end.</summary>
    private int Encode(GradientSink sink, int at)
    {
        for (int i = 0; i < sink.Count; i++)
        {
            bool written = sink.IsWritten(i);
            bool dense = !written || sink.IsDense(i);
            ReadOnlySpan<int> rows = dense ? default : sink.TouchedRows(i);
            int rowLength = dense ? 1 : sink.RowLength(i);
            int values = !written ? 0 : dense ? sink.Length(i) : rows.Length * (1 + rowLength);
            EnsurePayload(at + HeaderLength + values);
            _payload[at++] = written ? 1f : 0f;
            _payload[at++] = dense ? 1f : 0f;
            _payload[at++] = BitConverter.Int32BitsToSingle(rows.Length);
            _payload[at++] = BitConverter.Int32BitsToSingle(rowLength);
            if (!written)
            {
                continue;
            }

            ReadOnlySpan<float> gradient = sink.Gradient(i);
            if (dense)
            {
                gradient.CopyTo(_payload.AsSpan(at));
                at += gradient.Length;
                continue;
            }

            foreach (int row in rows)
            {
                _payload[at++] = BitConverter.Int32BitsToSingle(row);
                gradient.Slice(row * rowLength, rowLength).CopyTo(_payload.AsSpan(at));
                at += rowLength;
            }
        }

        return at;
    }

    /// <summary>Writes a gathered subtree sum at <paramref name="at"/> into <paramref name="sink"/> (cleared); returns where the next begins.</summary>
    private int Decode(GradientSink sink, int at)
    {
        for (int i = 0; i < sink.Count; i++)
        {
            bool written = _gathered[at] != 0f;
            bool dense = _gathered[at + 1] != 0f;
            int rowCount = BitConverter.SingleToInt32Bits(_gathered[at + 2]);
            int rowLength = BitConverter.SingleToInt32Bits(_gathered[at + 3]);
            at += HeaderLength;
            if (!written)
            {
                continue;
            }

            if (dense)
            {
                sink.PrepareDense(i);
                Span<float> gradient = sink.Gradient(i);
                _gathered.AsSpan(at, gradient.Length).CopyTo(gradient);
                at += gradient.Length;
                continue;
            }

            if (_rows.Length < rowCount)
            {
                _rows = new int[Math.Max(rowCount, _rows.Length * 2)];
            }

            for (int k = 0; k < rowCount; k++)
            {
                _rows[k] = BitConverter.SingleToInt32Bits(_gathered[at + (k * (1 + rowLength))]);
            }

            sink.PrepareRows(i, _rows.AsSpan(0, rowCount), rowLength);
            Span<float> target = sink.Gradient(i);
            for (int k = 0; k < rowCount; k++)
            {
                _gathered.AsSpan(at + (k * (1 + rowLength)) + 1, rowLength).CopyTo(target.Slice(_rows[k] * rowLength, rowLength));
            }

            at += rowCount * (1 + rowLength);
        }

        return at;
    }

    /// <summary>Steps over a subtree sum this rank encoded itself; returns where the next begins.</summary>
    private int Skip(GradientSink sink, int at)
    {
        for (int i = 0; i < sink.Count; i++)
        {
            bool written = _gathered[at] != 0f;
            bool dense = _gathered[at + 1] != 0f;
            int rowCount = BitConverter.SingleToInt32Bits(_gathered[at + 2]);
            int rowLength = BitConverter.SingleToInt32Bits(_gathered[at + 3]);
            at += HeaderLength + (!written ? 0 : dense ? sink.Length(i) : rowCount * (1 + rowLength));
        }

        return at;
    }

    private void EnsurePayload(int length)
    {
        if (_payload.Length < length)
        {
            Array.Resize(ref _payload, Math.Max(length, _payload.Length * 2));
        }
    }
}
