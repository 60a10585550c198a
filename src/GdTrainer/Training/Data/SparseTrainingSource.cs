namespace GdTrainer.Training;

using System.Globalization;
using GdTrainer.Autograd;

/// <summary>
/// Rows held in memory as compressed sparse rows (CSR): per row, the columns and values of its non-zeros, so memory follows
/// the non-zeros (8 bytes each, plus 4 per row), never rows times features. Shuffling rewrites the rows in their new order
/// once (into new arrays; the old ones go), so that every batch is a contiguous range of the store, as in the dense source:
/// an epoch then reads memory sequentially and copies nothing. (Gathering each batch through an index instead copied every
/// non-zero of every batch every epoch, which on spamassassin cost as much as the training arithmetic.) Standardisation
/// scales each column (it cannot centre: subtracting a mean would fill the zeros in).
/// </summary>
internal sealed class SparseTrainingSource : TrainingSource
{
    private readonly Store _store;
    private readonly int _first; // This source is the rows _first .. _first + _count - 1 of the store.
    private readonly int _count;
    private readonly double _totalWeight;
    private readonly Dictionary<int, ContiguousBatchPlan> _plans = [];

    private SparseTrainingSource(Store store, int first, int count)
    {
        _store = store;
        _first = first;
        _count = count;
        _totalWeight = store.Weights is null ? count : ContiguousBatchPlan.SumOf(store.Weights.AsSpan(first, count));
    }

    public override int FeatureCount => _store.FeatureCount;

    public override int RowCount => _count;

    public override double TotalWeight => _totalWeight;

    public override bool HasWeights => _store.Weights is not null;

    internal override string Description => _store.Description;

    internal override FeatureStatistics Statistics => _store.Statistics;

    /// <summary>The number of non-zeros stored for all rows of the data set.</summary>
    internal long NonZeroCount => _store.RowStarts[_store.RowCount];

    /// <summary>The same rows stored densely, in their current order: for rows that turned out mostly non-zero.</summary>
    internal DenseTrainingSource ToDense()
    {
        var dense = new DenseTrainingSource.Builder(FeatureCount, HasWeights, _count, Description);
        for (int row = _first; row < _first + _count; row++)
        {
            (int start, int end) = _store.Range(row);
            Span<float> values = dense.NextRow();
            values.Clear();
            for (int p = start; p < end; p++)
            {
                values[_store.Indices[p]] = _store.Values[p];
            }

            dense.Commit(_store.Labels[row], _store.Weights?[row] ?? 1f);
        }

        return dense.Build();
    }

    /// <summary>
    /// The same draws as <see cref="FastRandom.Shuffle{T}"/> over an index of the rows: row i then holds the row an index
    /// shuffle puts at i. Only a source over every row of its store can be shuffled (the trainer shuffles before it splits).
    /// </summary>
    internal override void Shuffle(FastRandom random)
    {
        if (_first != 0 || _count != _store.RowCount)
        {
            throw new InvalidOperationException("Only a sparse source over all its rows can be shuffled; shuffle before splitting.");
        }

        int[] order = new int[_count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        random.Shuffle(order.AsSpan());
        _store.Permute(order);
        _plans.Clear();
    }

    internal override (TrainingSource Kept, TrainingSource HeldOut) HoldOut(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(count, _count);
        return (new SparseTrainingSource(_store, _first, _count - count), new SparseTrainingSource(_store, _first + _count - count, count));
    }

    /// <summary>
    /// Multiplies every stored value by its column's scale, and records the offsets of the centred columns (see
    /// <see cref="FeatureTransform.CreateForSparse"/>), in scaled units, which every batch then subtracts inside its product
    /// (<see cref="SparseOffsets"/>): the rows stay sparse.
    /// </summary>
    internal override void Standardize(FeatureTransform transform)
    {
        float[] scales = transform.Scales;
        int[] indices = _store.Indices;
        float[] values = _store.Values;
        long nonZeros = NonZeroCount;
        for (long p = 0; p < nonZeros; p++)
        {
            values[p] *= scales[indices[p]];
        }

        var columns = new List<int>();
        var offsets = new List<float>();
        for (int j = 0; j < transform.Offsets.Length; j++)
        {
            if (transform.Offsets[j] != 0f)
            {
                columns.Add(j);
                offsets.Add(transform.Offsets[j] * scales[j]);
            }
        }

        _store.Offsets = columns.Count == 0 ? null : new SparseOffsets([.. columns], [.. offsets]);
        _plans.Clear();
    }

    internal override BatchPlan Plan(int batchSize)
    {
        batchSize = Math.Clamp(batchSize, 1, _count);
        if (!_plans.TryGetValue(batchSize, out ContiguousBatchPlan? plan))
        {
            Store store = _store;
            plan = new ContiguousBatchPlan(_first, _count, batchSize, store.Labels, store.Weights, _totalWeight,
                (start, size) => (null, new SparseRows(store.FeatureCount, size, store.RowStarts, start, store.Indices, store.Values, store.Offsets)));
            _plans[batchSize] = plan;
        }

        return plan;
    }

    /// <summary>
    /// <see cref="LearningRateEstimate"/>'s curvature from the sparse rows: the largest squared row norm over all rows, and
    /// lambda_max of <c>A^T W A / sum(W)</c> by power iteration on up to 4,096 evenly spaced rows, with products over the non-zeros.
    /// </summary>
    internal override LinearCurvature EstimateLinearCurvature()
    {
        Store store = _store;
        SparseOffsets? offsets = store.Offsets;
        float[]? shift = null;
        double shiftNorm = 0;
        if (offsets is not null)
        {
            shift = new float[FeatureCount];
            for (int c = 0; c < offsets.Columns.Length; c++)
            {
                shift[offsets.Columns[c]] = offsets.Values[c];
                shiftNorm += (double)offsets.Values[c] * offsets.Values[c];
            }
        }

        // ||x - m||^2 = ||x||^2 - 2 x . m + ||m||^2 for a row x with the centred columns' offsets m.
        double largestNorm = 0;
        for (int row = _first; row < _first + _count; row++)
        {
            (int start, int end) = store.Range(row);
            double norm = shiftNorm;
            for (int p = start; p < end; p++)
            {
                double value = store.Values[p];
                norm += value * (value - (2.0 * (shift?[store.Indices[p]] ?? 0f)));
            }

            largestNorm = Math.Max(largestNorm, norm);
        }

        int sampleCount = Math.Min(_count, LearningRateEstimate.SampleRows);
        var sample = new int[sampleCount];
        for (int s = 0; s < sampleCount; s++)
        {
            sample[s] = _first + (int)((long)s * _count / sampleCount);
        }

        double lambda = LearningRateEstimate.LargestEigenvalue(
            FeatureCount,
            sampleCount,
            row => store.Weights?[sample[row]] ?? 1f,
            (row, v) =>
            {
                (int start, int end) = store.Range(sample[row]);
                double sum = 0;
                for (int p = start; p < end; p++)
                {
                    sum += (double)store.Values[p] * v[store.Indices[p]];
                }

                return sum;
            },
            (row, scale, next) =>
            {
                (int start, int end) = store.Range(sample[row]);
                for (int p = start; p < end; p++)
                {
                    next[store.Indices[p]] += scale * store.Values[p];
                }
            },
            offsets?.Columns,
            offsets?.Values);
        return new LinearCurvature(lambda, largestNorm + 1.0, _count);
    }

    /// <summary>
    /// Collects sparse rows: each row's non-zeros in increasing column order (a dense row is added by its non-zeros). The
    /// arrays grow by half as needed; at most <see cref="MaxNonZeros"/> non-zeros fit.
    /// </summary>
    internal sealed class Builder
    {
        private readonly int _featureCount;
        private readonly string _description;
        private readonly SparseStatisticsAccumulator _statistics;
        private int[] _rowStarts;
        private int[] _indices;
        private float[] _values;
        private float[] _labels;
        private float[]? _weights;
        private int _rows;

        /// <param name="featureCount">Columns per row.</param>
        /// <param name="hasWeights">Whether rows carry example weights.</param>
        /// <param name="expectedRows">The number of rows when known, else null.</param>
        /// <param name="description">What the rows are, for messages.</param>
        internal Builder(int featureCount, bool hasWeights, long? expectedRows, string description)
        {
            _featureCount = featureCount;
            _description = description;
            _statistics = new SparseStatisticsAccumulator(featureCount);
            int capacity = (int)Math.Clamp(expectedRows ?? 1024, 1, Array.MaxLength - 1);
            _rowStarts = new int[capacity + 1];
            _labels = new float[capacity];
            _weights = hasWeights ? new float[capacity] : null;
            _indices = new int[4096];
            _values = new float[4096];
        }

        /// <summary>The most non-zeros one store holds (one .NET array each of columns and values).</summary>
        internal static long MaxNonZeros => Array.MaxLength;

        internal int FeatureCount => _featureCount;

        /// <summary>The rows added so far.</summary>
        internal int RowCount => _rows;

        /// <summary>The non-zeros added so far.</summary>
        internal long NonZeroCount => _rowStarts[_rows];

        /// <summary>Adds a row by its non-zeros (columns in increasing order, each once; explicit zeros are dropped).</summary>
        /// <exception cref="InvalidOperationException">The store would hold more than <see cref="MaxNonZeros"/> non-zeros.</exception>
        internal void AddSparse(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, float label, float weight)
        {
            int at = _rowStarts[_rows];
            EnsureNonZeros(at + (long)indices.Length);
            int kept = 0;
            for (int p = 0; p < indices.Length; p++)
            {
                if (values[p] != 0f)
                {
                    _indices[at + kept] = indices[p];
                    _values[at + kept] = values[p];
                    kept++;
                }
            }

            Commit(at, kept, label, weight);
        }

        /// <summary>Adds a dense row by its non-zeros.</summary>
        /// <exception cref="InvalidOperationException">The store would hold more than <see cref="MaxNonZeros"/> non-zeros.</exception>
        internal void AddDense(ReadOnlySpan<float> row, float label, float weight)
        {
            int at = _rowStarts[_rows];
            EnsureNonZeros(at + (long)row.Length);
            int kept = 0;
            for (int j = 0; j < row.Length; j++)
            {
                if (row[j] != 0f)
                {
                    _indices[at + kept] = j;
                    _values[at + kept] = row[j];
                    kept++;
                }
            }

            Commit(at, kept, label, weight);
        }

        private void Commit(int at, int kept, float label, float weight)
        {
            if (_rows == _labels.Length)
            {
                int grown = (int)Math.Min(_labels.Length + Math.Max(_labels.Length / 2L, 1024), Array.MaxLength - 1);
                Array.Resize(ref _labels, grown);
                Array.Resize(ref _rowStarts, grown + 1);
                if (_weights is not null)
                {
                    Array.Resize(ref _weights, grown);
                }
            }

            _statistics.Add(_indices.AsSpan(at, kept), _values.AsSpan(at, kept), label, _weights is null ? 1f : weight);
            _labels[_rows] = label;
            if (_weights is not null)
            {
                _weights[_rows] = weight;
            }

            _rows++;
            _rowStarts[_rows] = at + kept;
        }

        private void EnsureNonZeros(long needed)
        {
            if (needed <= _indices.Length)
            {
                return;
            }

            if (needed > MaxNonZeros)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"The sparse rows of {_description} hold more than {MaxNonZeros} non-zeros after {_rows} rows, more than one store can hold."));
            }

            int grown = (int)Math.Min(Math.Max(needed, _indices.Length + (_indices.Length / 2L)), MaxNonZeros);
            Array.Resize(ref _indices, grown);
            Array.Resize(ref _values, grown);
        }

        /// <summary>The source over the rows added (at least one).</summary>
        internal SparseTrainingSource Build()
        {
            var store = new Store(_rowStarts, _indices, _values, _labels, _weights, _featureCount, _rows, _statistics.Build(), _description);
            return new SparseTrainingSource(store, 0, _rows);
        }
    }

    /// <summary>The arrays of one sparse data set, shared by its sources.</summary>
    private sealed class Store(int[] rowStarts, int[] indices, float[] values, float[] labels, float[]? weights, int featureCount, int rowCount, FeatureStatistics statistics, string description)
    {
        internal int[] RowStarts { get; private set; } = rowStarts;

        internal int[] Indices { get; private set; } = indices;

        internal float[] Values { get; private set; } = values;

        internal float[] Labels { get; private set; } = labels;

        internal float[]? Weights { get; private set; } = weights;

        internal int FeatureCount { get; } = featureCount;

        internal int RowCount { get; } = rowCount;

        internal FeatureStatistics Statistics { get; } = statistics;

        internal string Description { get; } = description;

        /// <summary>The centred columns' offsets (in scaled units) that every row subtracts, or null.</summary>
        internal SparseOffsets? Offsets { get; set; }

        internal (int Start, int End) Range(int row) => (RowStarts[row], RowStarts[row + 1]);

        /// <summary>Rewrites the rows so that row i holds the row that was at <paramref name="order"/>[i] (exact-size new arrays; the old ones go).</summary>
        internal void Permute(int[] order)
        {
            int nonZeros = RowStarts[RowCount];
            var rowStarts = new int[RowCount + 1];
            int[] indices = GC.AllocateUninitializedArray<int>(nonZeros);
            float[] values = GC.AllocateUninitializedArray<float>(nonZeros);
            var labels = new float[RowCount];
            float[]? weights = Weights is null ? null : new float[RowCount];
            int at = 0;
            for (int i = 0; i < RowCount; i++)
            {
                int row = order[i];
                (int start, int end) = Range(row);
                Indices.AsSpan(start, end - start).CopyTo(indices.AsSpan(at));
                Values.AsSpan(start, end - start).CopyTo(values.AsSpan(at));
                at += end - start;
                rowStarts[i + 1] = at;
                labels[i] = Labels[row];
                if (weights is not null)
                {
                    weights[i] = Weights![row];
                }
            }

            (RowStarts, Indices, Values, Labels, Weights) = (rowStarts, indices, values, labels, weights);
        }
    }
}
