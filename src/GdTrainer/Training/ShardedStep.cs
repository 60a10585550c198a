namespace GdTrainer.Training;

using System.Runtime.CompilerServices;
using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.Models;

/// <summary>
/// The forward and backward passes of one training step, and the loss of an evaluation batch, computed by micro-shards on one or
/// more threads (and, with an <see cref="IShardCommunicator"/>, ranks) so that the gradients, losses and so the trained model are
/// bit-identical for every number of threads and ranks.
/// </summary>
/// <remarks>
/// <para>
/// <b>Shards.</b> <see cref="ShardPolicy"/> cuts a batch into S shards of consecutive rows (the largest power of two, at most 16,
/// that leaves each shard at least 128 rows and 2^19 row-parameters of work; 1 for smaller batches), from its row count and the
/// model's work per row only. Each shard runs the model's forward pass on its rows, the loss over its rows (the loss's weighted
/// mean), and backward seeded with the batch's gradient scale times the shard's share of the batch's weight
/// (<c>scale * W_j / W_b</c>): the shards' gradients then sum to the batch's.
/// </para>
/// <para>
/// <b>Sinks.</b> While shard j runs on a thread, its <see cref="GradientSink"/> is current there: the parameters' gradients go
/// into the sink's buffers (shard 0's passes through to the parameters' own <see cref="Tensor{T}.Grad"/>, zeroed by the optimizer
/// before the step). A sparse product records its touched rows in the sink, so a sink is cleared and summed by rows.
/// </para>
/// <para>
/// <b>Sum.</b> The shards' gradients are summed by <see cref="ReductionTree"/> (pairs, then pairs of pairs: <c>(g0 + g1) + (g2 + g3)</c>)
/// into the parameters' gradients; a parameter only sparse products wrote is summed row by row over the union of the touched rows
/// and keeps its <see cref="GradientRows"/> (so the optimizer's step stays sparse), any other element by element, in ranges that
/// threads share. The loss is <c>sum_j W_j L_j / W_b</c> in double, in shard order.
/// </para>
/// <para>
/// <b>Dropout</b> draws its masks from the shard's <see cref="DropoutSeeds"/>, started from the run's seed, the step and the shard
/// index. <b>Lazy weight decay</b> (<see cref="Tensor{T}.PendingRows"/>, SGD's decay owed by the rows of a sparse weight) is one
/// factor the shards' sparse products read, never write: nothing is paid before the shards run.
/// </para>
/// <para>
/// With one shard and one rank, a step is the unsharded step of the single-threaded loop, on the calling thread: the same
/// operations in the same order, the same bits. One thread computes the shards one after the other on the calling thread with no
/// worker machinery, and gets the same bits as any other number.
/// </para>
/// </remarks>
internal sealed class ShardedStep : IDisposable
{
    /// <summary>Elements per part of a dense gradient sum that threads share (64 KiB of floats: a part's operands stay in L2).</summary>
    private const int SumChunk = 16_384;

    /// <summary>
    /// Element additions below which the calling thread sums the shards alone. An estimate, not a measurement (the development
    /// machine was loaded): 65,536 additions read ~0.5 MB and take ~10 µs on one core, where a second fork-join (~1-2 µs) is worth
    /// paying; the MLP <c>[256, 256]</c> (71,681 parameters, two shards) is above it, <c>[64, 64]</c> (5,569) below.
    /// </summary>
    private const long ParallelSumThreshold = 65_536;

    private readonly Module _model;
    private readonly Loss _loss;
    private readonly IReadOnlyList<Tensor<float>> _parameters;
    private readonly long _parameterCount;
    private readonly int _seed;
    private readonly ShardPolicy _policy;
    private readonly IShardCommunicator? _communicator;
    private readonly LinearModel? _squaredErrorModel;
    private readonly ConditionalWeakTable<Tensor<float>, TrainingBatch[]> _views = new();
    private readonly TrainingBatch[] _single = new TrainingBatch[1];
    private readonly TrainJob _trainJob;
    private readonly EvaluateJob _evaluateJob;
    private readonly SumJob _sumJob;
    private readonly RankExchange? _exchange;
    private Slot[] _slots = [];
    private ShardWorkers? _workers;
    private int _sparseColumns = -1;
    private int _sparseWeight = -1;

    // The planned sum: per parameter, its additions (into, from) in tree order, whether it is summed by rows, and the parts.
    private (int Into, int From)[] _planned = [];
    private int[] _plannedCounts = [];
    private bool[] _plannedByRows = [];
    private int _plannedStride;
    private SumPart[] _parts = [];
    private int _partCount;

    /// <param name="model">The model; its parameters receive the summed gradients.</param>
    /// <param name="loss">The loss, a (weighted) mean over the rows it is given.</param>
    /// <param name="threads">The threads, the caller included (at least 1; 1 uses no other thread).</param>
    /// <param name="seed">The run's seed, from which every shard's dropout masks are derived.</param>
    /// <param name="policy">How batches are cut into shards.</param>
    /// <param name="communicator">The ranks training together, or null for this process alone.</param>
    internal ShardedStep(Module model, Loss loss, int threads, int seed, ShardPolicy policy, IShardCommunicator? communicator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _model = model;
        _loss = loss;
        _seed = seed;
        _policy = policy;
        _communicator = communicator is { Size: > 1 } ? communicator : null;
        _parameters = model.Parameters();
        foreach (Tensor<float> parameter in _parameters)
        {
            _parameterCount += parameter.Length;
            parameter.ShareVersion(); // Shards may take views of a parameter on several threads at once.
        }

        _squaredErrorModel = loss is MeanSquaredErrorLoss && model is LinearModel linear ? linear : null;
        Threads = threads;
        _trainJob = new TrainJob(this);
        _evaluateJob = new EvaluateJob(this);
        _sumJob = new SumJob(this);
        _exchange = _communicator is null ? null : new RankExchange(this, _communicator);
    }

    /// <summary>The threads, the caller included.</summary>
    internal int Threads { get; }

    /// <summary>The state of each shard index (grown to the most shards a batch had).</summary>
    internal Slot[] Slots => _slots;

    /// <summary>Whether helper threads were started (never with one thread, nor before a job had two parts).</summary>
    internal bool HasWorkers => _workers is not null;

    /// <summary>The number of shards <paramref name="batch"/> is cut into.</summary>
    internal int ShardCount(TrainingBatch batch) => _policy.ShardCount(batch.RowCount, WorkPerRow(batch));

    /// <summary>
    /// Runs forward, loss and backward of every shard of <paramref name="batch"/> (this rank's; then exchanges with the others) and
    /// leaves the batch's gradient, scaled by its <see cref="TrainingBatch.GradientScale"/>, in the parameters' gradients (zero them
    /// before). Returns the batch's loss: the single shard's loss as a float, or the weighted mean of the shards' losses. A shard
    /// whose loss is not finite skips its backward pass; the loss returned is then not finite either.
    /// </summary>
    /// <param name="batch">The batch.</param>
    /// <param name="step">The step's index in the run (counted over epochs), which seeds the dropout masks with the shard index.</param>
    internal double Train(TrainingBatch batch, long step)
    {
        int shards = ShardCount(batch);
        TrainingBatch[] views = ViewsOf(batch, shards);
        EnsureSlots(shards);
        (int first, int end) = Block(shards);
        ComputeWeights(batch, views, shards);
        if (shards > 1)
        {
            float scale = batch.GradientScale.Data[0];
            for (int j = first; j < end; j++)
            {
                views[j].GradientScale.Data[0] = (float)(scale * _slots[j].Weight / batch.TotalWeight);
            }
        }

        _trainJob.Start(views, step, first, direct: shards > 1 || _exchange is not null);
        RunParts(_trainJob, end - first);
        if (_exchange is null)
        {
            if (shards > 1)
            {
                Span<(int Into, int From)> combines = stackalloc (int, int)[ReductionTree.Capacity(shards)];
                Sum(combines[..ReductionTree.CombinesWithin(0, shards, combines)]);
            }
        }
        else
        {
            _exchange.SumGradients(shards, first, end); // The shards' losses and weights travel with the sums.
        }

        if (shards == 1)
        {
            return _slots[0].Loss;
        }

        double weightedLoss = 0;
        for (int j = 0; j < shards; j++)
        {
            weightedLoss += _slots[j].Weight * _slots[j].Loss;
        }

        return weightedLoss / batch.TotalWeight;
    }

    /// <summary>
    /// The sum of the example-weighted losses of <paramref name="batch"/>'s rows (the loss times the batch's weight for one shard; the
    /// shards' in shard order otherwise), with the model as it is (the caller puts it in evaluation mode): the linear model's squared
    /// error in double (<see cref="LinearSquaredError"/>), any other loss through a forward pass without a graph.
    /// </summary>
    internal double Evaluate(TrainingBatch batch)
    {
        int shards = ShardCount(batch);
        TrainingBatch[] views = ViewsOf(batch, shards);
        EnsureSlots(shards);
        (int first, int end) = Block(shards);
        ComputeWeights(batch, views, shards);
        _evaluateJob.Start(views, first);
        RunParts(_evaluateJob, end - first);
        _exchange?.GatherLosses(shards, first, end);
        double sum = 0;
        for (int j = 0; j < shards; j++)
        {
            sum += _slots[j].WeightedLoss;
        }

        return sum;
    }

    /// <summary>Ends the helper threads.</summary>
    public void Dispose() => _workers?.Dispose();

    /// <summary>The model's output for a batch, as <c>[n]</c> when it has one output per row (a <c>[n, 1]</c> output is reshaped).</summary>
    private Tensor<float> Predict(TrainingBatch batch)
    {
        Tensor<float> output = batch.SparseFeatures is { } sparse ? _model.ForwardSparse(sparse) : _model.Forward(batch.Features!);
        return output.Rank == 2 && output.Shape[1] == 1 ? output.Reshape(output.Shape[0]) : output;
    }

    /// <summary>
    /// The row-parameters of one row: the parameter count for dense rows; for sparse rows, the sparse weight's rows a row reads (its
    /// non-zeros, on average over the batch) instead of the whole weight.
    /// </summary>
    private long WorkPerRow(TrainingBatch batch)
    {
        if (batch.SparseFeatures is not { } sparse || SparseWeight(sparse.ColumnCount) is not { } weight)
        {
            return _parameterCount;
        }

        long rowLength = weight.Length / sparse.ColumnCount;
        long read = (long)Math.Ceiling((double)sparse.NonZeroCount / Math.Max(batch.RowCount, 1)) * rowLength;
        return Math.Max(_parameterCount - weight.Length + read, 1);
    }

    /// <summary>The parameter a sparse product reads by rows: the first whose first dimension is the rows' column count, or null.</summary>
    private Tensor<float>? SparseWeight(int columns)
    {
        if (_sparseColumns != columns)
        {
            _sparseColumns = columns;
            _sparseWeight = -1;
            for (int i = 0; i < _parameters.Count; i++)
            {
                if (_parameters[i].Rank >= 1 && _parameters[i].Shape[0] == columns)
                {
                    _sparseWeight = i;
                    break;
                }
            }
        }

        return _sparseWeight < 0 ? null : _parameters[_sparseWeight];
    }

    /// <summary>This rank's block of the <paramref name="shards"/> shards: all of them in one process, else <c>[S r / R, S (r + 1) / R)</c>.</summary>
    private (int First, int End) Block(int shards) => _communicator is { } ranks
        ? (RankExchange.BlockStart(shards, ranks.Size, ranks.Rank), RankExchange.BlockStart(shards, ranks.Size, ranks.Rank + 1))
        : (0, shards);

    /// <summary>The shards of <paramref name="batch"/>: the batch itself, or views of its rows made once per batch (keyed by its labels tensor, which a streamed plan's reused batches share).</summary>
    private TrainingBatch[] ViewsOf(TrainingBatch batch, int shards)
    {
        if (shards == 1)
        {
            _single[0] = batch;
            return _single;
        }

        if (_views.TryGetValue(batch.Labels, out TrainingBatch[]? cached) && cached.Length == shards)
        {
            return cached;
        }

        var views = new TrainingBatch[shards];
        int rows = batch.RowCount;
        for (int j = 0; j < shards; j++)
        {
            int start = ShardPolicy.ShardStart(rows, shards, j);
            int count = ShardPolicy.ShardStart(rows, shards, j + 1) - start;
            views[j] = new TrainingBatch(
                batch.Features?.RowRange(start, count),
                batch.SparseFeatures?.Slice(start, count),
                batch.Labels.RowRange(start, count),
                batch.Weights?.RowRange(start, count),
                count,
                Tensor.Scalar(0f));
        }

        _views.AddOrUpdate(batch.Labels, views);
        return views;
    }

    /// <summary>
    /// Each shard's weight: the batch's <see cref="TrainingBatch.TotalWeight"/> for a single shard, else the sum of its rows' example
    /// weights in row order (its row count without weights), computed every step (a streamed batch's rows change).
    /// </summary>
    private void ComputeWeights(TrainingBatch batch, TrainingBatch[] views, int shards)
    {
        if (shards == 1)
        {
            _slots[0].Weight = batch.TotalWeight;
            return;
        }

        for (int j = 0; j < shards; j++)
        {
            double weight = views[j].RowCount;
            if (views[j].Weights is { } weights)
            {
                weight = 0;
                foreach (float w in weights.Data)
                {
                    weight += w;
                }
            }

            _slots[j].Weight = weight;
        }
    }

    private void EnsureSlots(int shards)
    {
        if (_slots.Length >= shards)
        {
            return;
        }

        Slot[] slots = new Slot[shards];
        _slots.CopyTo(slots, 0);
        for (int j = _slots.Length; j < shards; j++)
        {
            slots[j] = new Slot(new GradientSink(_parameters, direct: j == 0));
        }

        _slots = slots;
    }

    /// <summary>Runs <paramref name="parts"/> parts of <paramref name="job"/>: in order on this thread with one thread, else on the workers.</summary>
    private void RunParts(IShardJob job, int parts)
    {
        if (Threads == 1 || parts <= 1)
        {
            for (int part = 0; part < parts; part++)
            {
                job.RunPart(part);
            }

            return;
        }

        (_workers ??= new ShardWorkers(Threads)).Run(job, parts);
    }

    /// <summary>
    /// Sums the shards' gradients by <paramref name="combines"/> (additions of a node into another, children first) into the slots'
    /// sinks, the tree's root ending in slot 0's (the parameters' own gradients): planned on this thread (which buffers are written,
    /// which parameters are summed by rows, the touched rows of the results), then added in parts that threads may share.
    /// </summary>
    internal void Sum(ReadOnlySpan<(int Into, int From)> combines)
    {
        int leaves = _parameters.Count;
        int stride = Math.Max(combines.Length, 1);
        if (_planned.Length < leaves * stride)
        {
            _planned = new (int, int)[leaves * stride];
        }

        if (_plannedCounts.Length < leaves)
        {
            _plannedCounts = new int[leaves];
            _plannedByRows = new bool[leaves];
        }

        _plannedStride = stride;
        _partCount = 0;
        long additions = 0;
        for (int i = 0; i < leaves; i++)
        {
            bool written = false;
            bool dense = false;
            foreach ((int into, int from) in combines)
            {
                foreach (int node in (ReadOnlySpan<int>)[into, from])
                {
                    GradientSink sink = _slots[node].Sink;
                    if (sink.IsWritten(i))
                    {
                        written = true;
                        dense |= sink.IsDense(i);
                    }
                }
            }

            int count = 0;
            if (written)
            {
                foreach ((int into, int from) in combines)
                {
                    GradientSink source = _slots[from].Sink;
                    if (!source.IsWritten(i))
                    {
                        continue; // Adding zeros changes no bit: no buffer here ever holds -0 (each starts at +0 and only adds).
                    }

                    if (dense)
                    {
                        _slots[into].Sink.PrepareDense(i);
                    }
                    else
                    {
                        _slots[into].Sink.PrepareRows(i, source.TouchedRows(i), source.RowLength(i));
                    }

                    _planned[(i * stride) + count++] = (into, from);
                }
            }

            _plannedCounts[i] = count;
            _plannedByRows[i] = !dense;
            if (count == 0)
            {
                continue;
            }

            if (dense)
            {
                int length = _parameters[i].Length;
                for (int start = 0; start < length; start += SumChunk)
                {
                    AddPart(new SumPart(i, start, Math.Min(SumChunk, length - start)));
                }

                additions += (long)length * count;
            }
            else
            {
                AddPart(new SumPart(i, 0, 0));
            }
        }

        if (additions >= ParallelSumThreshold)
        {
            RunParts(_sumJob, _partCount);
            return;
        }

        for (int part = 0; part < _partCount; part++)
        {
            RunSumPart(part);
        }
    }

    private void AddPart(SumPart part)
    {
        if (_partCount == _parts.Length)
        {
            Array.Resize(ref _parts, Math.Max(16, _parts.Length * 2));
        }

        _parts[_partCount++] = part;
    }

    private void RunSumPart(int index)
    {
        SumPart part = _parts[index];
        int leaf = part.Leaf;
        ReadOnlySpan<(int Into, int From)> combines = _planned.AsSpan(leaf * _plannedStride, _plannedCounts[leaf]);
        if (!_plannedByRows[leaf])
        {
            foreach ((int into, int from) in combines)
            {
                Span<float> target = _slots[into].Sink.Gradient(leaf).Slice(part.Start, part.Length);
                System.Numerics.Tensors.TensorPrimitives.Add(target, _slots[from].Sink.Gradient(leaf).Slice(part.Start, part.Length), target);
            }

            return;
        }

        foreach ((int into, int from) in combines)
        {
            GradientSink source = _slots[from].Sink;
            int rowLength = source.RowLength(leaf);
            Span<float> target = _slots[into].Sink.Gradient(leaf);
            ReadOnlySpan<float> values = source.Gradient(leaf);
            foreach (int row in source.TouchedRows(leaf))
            {
                Span<float> targetRow = target.Slice(row * rowLength, rowLength);
                System.Numerics.Tensors.TensorPrimitives.Add(targetRow, values.Slice(row * rowLength, rowLength), targetRow);
            }
        }
    }

    /// <summary>The state of one shard index: its gradient sink, its dropout seeds, and its loss and weight of the current batch.</summary>
    internal sealed class Slot(GradientSink sink)
    {
        internal GradientSink Sink { get; } = sink;

        internal DropoutSeeds Dropout { get; } = new();

        /// <summary>The shard's mean loss in the current training step.</summary>
        internal float Loss { get; set; }

        /// <summary>The shard's weight (<see cref="ComputeWeights"/>).</summary>
        internal double Weight { get; set; }

        /// <summary>The shard's example-weighted loss sum in the current evaluation batch.</summary>
        internal double WeightedLoss { get; set; }
    }

    /// <summary>One part of a gradient sum: elements <c>[Start, Start + Length)</c> of a parameter summed densely, or all its touched rows.</summary>
    private readonly record struct SumPart(int Leaf, int Start, int Length);

    /// <summary>Forward, loss and backward of the shards of a training step.</summary>
    private sealed class TrainJob(ShardedStep owner) : IShardJob
    {
        private TrainingBatch[] _views = [];
        private long _step;
        private int _first;
        private bool _direct;

        internal void Start(TrainingBatch[] views, long step, int first, bool direct)
        {
            _views = views;
            _step = step;
            _first = first;
            _direct = direct;
        }

        public void RunPart(int part)
        {
            int shard = _first + part;
            Slot slot = owner._slots[shard];
            TrainingBatch view = _views[shard];

            // Shard 0's sink writes into the parameters' own gradients; alone in a process, the step uses no sink at all (as before sharding).
            GradientSink? sink = shard == 0 && !_direct ? null : slot.Sink;
            sink?.Clear();
            slot.Dropout.Start(owner._seed, _step, shard);
            using GradientSink.Scope sinkScope = GradientSink.Use(sink);
            using DropoutSeeds.Scope dropoutScope = slot.Dropout.Enter();
            using (Autograd.PooledMemory())
            {
                Tensor<float> loss = owner._loss.Compute(owner.Predict(view), view.Labels, view.Weights);
                float value = loss.Item();
                slot.Loss = value;
                if (float.IsFinite(value))
                {
                    loss.Backward(view.GradientScale);
                }
            }
        }
    }

    /// <summary>The weighted loss sums of the shards of an evaluation batch.</summary>
    private sealed class EvaluateJob(ShardedStep owner) : IShardJob
    {
        private TrainingBatch[] _views = [];
        private int _first;

        internal void Start(TrainingBatch[] views, int first)
        {
            _views = views;
            _first = first;
        }

        public void RunPart(int part)
        {
            int shard = _first + part;
            Slot slot = owner._slots[shard];
            TrainingBatch view = _views[shard];
            if (owner._squaredErrorModel is { } linear)
            {
                slot.WeightedLoss = LinearSquaredError.Sum(linear, view);
                return;
            }

            using (Autograd.NoGrad())
            using (Autograd.PooledMemory())
            {
                slot.WeightedLoss = owner._loss.Compute(owner.Predict(view), view.Labels, view.Weights).Item() * slot.Weight;
            }
        }
    }

    /// <summary>The parts of a planned gradient sum.</summary>
    private sealed class SumJob(ShardedStep owner) : IShardJob
    {
        public void RunPart(int part) => owner.RunSumPart(part);
    }
}
