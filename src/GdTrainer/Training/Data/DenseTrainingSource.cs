namespace GdTrainer.Training;

using GdTrainer.Autograd;

/// <summary>
/// Rows held in memory once, densely: features row-major in one array, labels and optional example weights beside them.
/// A source may be a view of a range of rows of another (a validation split shares the store). Shuffling permutes the
/// rows in place, so training holds one copy of the data; each batch is then a contiguous view of the store, so an epoch
/// reads memory sequentially and copies nothing.
/// </summary>
/// <remarks>
/// The arrays come from the garbage collector, not from a shared pool: they go when the last source over them goes, and
/// nothing of a large data set stays pinned in <c>ArrayPool.Shared</c> after training (the pool kept both copies of the
/// old design, twice the data, for the rest of the process).
/// </remarks>
internal sealed class DenseTrainingSource : TrainingSource
{
    private readonly Store _store;
    private readonly int _start;
    private readonly int _count;
    private readonly double _totalWeight;
    private readonly Dictionary<int, ContiguousBatchPlan> _plans = [];

    private DenseTrainingSource(Store store, int start, int count)
    {
        _store = store;
        _start = start;
        _count = count;
        _totalWeight = store.Weights is null ? count : ContiguousBatchPlan.SumOf(store.Weights.AsSpan(start, count));
    }

    public override int FeatureCount => _store.FeatureCount;

    public override int RowCount => _count;

    public override double TotalWeight => _totalWeight;

    public override bool HasWeights => _store.Weights is not null;

    internal override string Description => _store.Description;

    internal override FeatureStatistics Statistics => _store.Statistics;

    /// <summary>The labels of this source's rows, in their current order.</summary>
    internal ReadOnlySpan<float> Labels => _store.Labels.AsSpan(_start, _count);

    /// <summary>
    /// Fisher-Yates over the rows themselves, with the random draws made a few rows ahead so that the row to swap in is
    /// already being fetched from memory: the swaps of different steps are independent, so their cache misses overlap, which
    /// makes permuting in place about as fast as gathering into a second copy (both ~30-40 ms on 1M x 20). The draws are
    /// those of <see cref="FastRandom.Shuffle{T}"/>, so row i ends up holding the row that an index shuffle puts at i.
    /// A pending standardisation is applied to each row as it reaches its final place.
    /// </summary>
    internal override void Shuffle(FastRandom random)
    {
        const int Lookahead = 8; // Steps ahead: enough to cover a miss, few enough that the rows stay in L1.
        _store.RestoreOriginalOrder();
        int n = _count;
        int d = FeatureCount;
        int[]? swaps = _store.KeepsOriginalOrder ? new int[n] : null;
        Span<int> upcoming = stackalloc int[Lookahead];
        int drawn = 0; // Draws made for steps i = n - 1, n - 2, ...: step i uses draw n - 1 - i.
        for (; drawn < Lookahead && n - 1 - drawn > 0; drawn++)
        {
            upcoming[drawn % Lookahead] = random.NextBelow(n - drawn);
        }

        float[] scratch = new float[d];
        // A shuffle of every row applies a pending standardisation on the way; a view's shuffle cannot (rows outside it need it too).
        FeatureTransform? transform = _start == 0 && _count == _store.RowCount ? _store.TakePendingTransform() : null;
        _store.ApplyPendingTransform();
        for (int i = n - 1; i > 0; i--)
        {
            int step = n - 1 - i;
            int j = upcoming[step % Lookahead];
            if (n - 1 - drawn > 0)
            {
                int ahead = random.NextBelow(n - drawn);
                upcoming[drawn % Lookahead] = ahead;
                CachePrefetch.Range(_store.Features, (_start + ahead) * d, d);
                drawn++;
            }

            if (swaps is not null)
            {
                swaps[i] = j;
            }

            _store.SwapRows(_start + i, _start + j, scratch);
            transform?.Apply(_store.Row(_start + i), _store.Row(_start + i));
        }

        if (n > 0 && transform is not null)
        {
            transform.Apply(_store.Row(_start), _store.Row(_start));
        }

        _store.RecordShuffle(swaps, _start);
        _plans.Clear();
    }

    internal override (TrainingSource Kept, TrainingSource HeldOut) HoldOut(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(count, _count);
        return (new DenseTrainingSource(_store, _start, _count - count), new DenseTrainingSource(_store, _start + _count - count, count));
    }

    internal override void Standardize(FeatureTransform transform) => _store.SetPendingTransform(transform);

    internal override BatchPlan Plan(int batchSize)
    {
        _store.ApplyPendingTransform();
        batchSize = Math.Clamp(batchSize, 1, _count);
        if (!_plans.TryGetValue(batchSize, out ContiguousBatchPlan? plan))
        {
            int d = FeatureCount;
            float[] features = _store.Features;
            plan = new ContiguousBatchPlan(_start, _count, batchSize, _store.Labels, _store.Weights, _totalWeight, (start, size) => (Tensor.Wrap(features, start * d, [size, d]), null));
            _plans[batchSize] = plan;
        }

        return plan;
    }

    internal override LinearCurvature EstimateLinearCurvature()
    {
        _store.ApplyPendingTransform();
        int d = FeatureCount;
        return LearningRateEstimate.CurvatureOfLinearLeastSquares(
            _store.Features.AsSpan(_start * d, _count * d), _store.Weights is null ? default : _store.Weights.AsSpan(_start, _count), _count, d);
    }

    /// <summary>
    /// Collects rows into a dense store. The caller writes a row's features into <see cref="NextRow"/> and keeps it with
    /// <see cref="Commit"/>, or leaves it (the next row overwrites it): a reader checks a row where it already lies.
    /// </summary>
    internal sealed class Builder
    {
        private readonly int _featureCount;
        private readonly string _description;
        private readonly bool _keepsOriginalOrder;
        private readonly FeatureStatisticsAccumulator _statistics;
        private float[] _features;
        private float[] _labels;
        private float[]? _weights;
        private int _rows;

        /// <param name="featureCount">Features per row.</param>
        /// <param name="hasWeights">Whether rows carry example weights.</param>
        /// <param name="expectedRows">The number of rows when known (the store is allocated once), else null (it grows by half).</param>
        /// <param name="description">What the rows are, for messages.</param>
        /// <param name="keepsOriginalOrder">Whether the source restores its original row order before each shuffle (for sources that may be trained on more than once).</param>
        internal Builder(int featureCount, bool hasWeights, long? expectedRows, string description, bool keepsOriginalOrder = false)
        {
            _featureCount = featureCount;
            _description = description;
            _keepsOriginalOrder = keepsOriginalOrder;
            _statistics = new FeatureStatisticsAccumulator(featureCount);
            int capacity = (int)Math.Clamp(expectedRows ?? 1024, 1, MaxRows(featureCount));
            _features = GC.AllocateUninitializedArray<float>(Math.Max(capacity * featureCount, 1));
            _labels = GC.AllocateUninitializedArray<float>(capacity);
            _weights = hasWeights ? GC.AllocateUninitializedArray<float>(capacity) : null;
        }

        internal int FeatureCount => _featureCount;

        /// <summary>The rows committed so far.</summary>
        internal int RowCount => _rows;

        /// <summary>The rows the store holds before it grows.</summary>
        internal int Capacity => _labels.Length;

        /// <summary>The rows the store holds after its next growth (by half, at least 1,024 rows, at most <see cref="MaxRows"/>).</summary>
        internal int GrownCapacity => (int)Math.Min(_labels.Length + Math.Max(_labels.Length / 2L, 1024), MaxRows(_featureCount));

        /// <summary>The statistics of the rows committed so far, to go on with when a reader stops storing rows (the store is then dropped).</summary>
        internal FeatureStatisticsAccumulator Statistics => _statistics;

        /// <summary>The most rows of <paramref name="featureCount"/> dense features one store (one .NET array of floats) can hold.</summary>
        internal static int MaxRows(int featureCount) => Array.MaxLength / Math.Max(featureCount, 1);

        /// <summary>The place of the next row's features, growing the store when it is full.</summary>
        /// <exception cref="InvalidOperationException">The store already holds <see cref="MaxRows"/> rows.</exception>
        internal Span<float> NextRow()
        {
            if (_rows == _labels.Length)
            {
                int grown = GrownCapacity;
                if (grown <= _rows)
                {
                    throw new InvalidOperationException($"A dense store of {_featureCount} features holds at most {MaxRows(_featureCount)} rows.");
                }

                _features = Grow(_features, _rows * _featureCount, grown * _featureCount);
                _labels = Grow(_labels, _rows, grown);
                _weights = _weights is null ? null : Grow(_weights, _rows, grown);
            }

            return _features.AsSpan(_rows * _featureCount, _featureCount);
        }

        /// <summary>Keeps the row written into <see cref="NextRow"/> with its label and example weight.</summary>
        internal void Commit(float label, float weight)
        {
            ReadOnlySpan<float> row = _features.AsSpan(_rows * _featureCount, _featureCount);
            _labels[_rows] = label;
            if (_weights is not null)
            {
                _weights[_rows] = weight;
            }

            _statistics.Add(row, label, _weights is null ? 1f : weight);
            _rows++;
        }

        /// <summary>The source over the committed rows (at least one).</summary>
        internal DenseTrainingSource Build()
        {
            var store = new Store(_features, _labels, _weights, _featureCount, _rows, _statistics.Build(), _description, _keepsOriginalOrder);
            return new DenseTrainingSource(store, 0, _rows);
        }

        private static float[] Grow(float[] buffer, int used, int length)
        {
            float[] grown = GC.AllocateUninitializedArray<float>(length);
            buffer.AsSpan(0, used).CopyTo(grown);
            return grown;
        }
    }

    /// <summary>The arrays the sources of one data set share, and what was done to them (standardisation, shuffles).</summary>
    private sealed class Store(float[] features, float[] labels, float[]? weights, int featureCount, int rowCount, FeatureStatistics statistics, string description, bool keepsOriginalOrder)
    {
        private FeatureTransform? _pendingTransform;
        private int[]? _lastSwaps;
        private int _lastSwapStart;

        internal float[] Features { get; } = features;

        internal float[] Labels { get; } = labels;

        internal float[]? Weights { get; } = weights;

        internal int FeatureCount { get; } = featureCount;

        internal int RowCount { get; } = rowCount;

        internal FeatureStatistics Statistics { get; } = statistics;

        internal string Description { get; } = description;

        internal bool KeepsOriginalOrder { get; } = keepsOriginalOrder;

        internal Span<float> Row(int row) => Features.AsSpan(row * FeatureCount, FeatureCount);

        internal void SetPendingTransform(FeatureTransform transform)
        {
            ApplyPendingTransform();
            _pendingTransform = transform;
        }

        internal FeatureTransform? TakePendingTransform()
        {
            FeatureTransform? transform = _pendingTransform;
            _pendingTransform = null;
            return transform;
        }

        internal void ApplyPendingTransform()
        {
            if (TakePendingTransform() is { } transform)
            {
                for (int row = 0; row < RowCount; row++)
                {
                    transform.Apply(Row(row), Row(row));
                }
            }
        }

        internal void SwapRows(int a, int b, Span<float> scratch)
        {
            if (a == b)
            {
                return;
            }

            Span<float> first = Row(a);
            Span<float> second = Row(b);
            first.CopyTo(scratch);
            second.CopyTo(first);
            scratch.CopyTo(second);
            (Labels[a], Labels[b]) = (Labels[b], Labels[a]);
            if (Weights is not null)
            {
                (Weights[a], Weights[b]) = (Weights[b], Weights[a]);
            }
        }

        internal void RecordShuffle(int[]? swaps, int start)
        {
            _lastSwaps = swaps;
            _lastSwapStart = start;
        }

        /// <summary>Undoes the last shuffle (its swaps in reverse order), when the store keeps its original order.</summary>
        internal void RestoreOriginalOrder()
        {
            if (_lastSwaps is not { } swaps)
            {
                return;
            }

            float[] scratch = new float[FeatureCount];
            for (int i = 1; i < swaps.Length; i++)
            {
                SwapRows(_lastSwapStart + i, _lastSwapStart + swaps[i], scratch);
            }

            _lastSwaps = null;
        }
    }
}
