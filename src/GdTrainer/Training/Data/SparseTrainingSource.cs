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
    internal long NonZeroCount => _store.NonZeroCount;

    /// <summary>The same rows stored densely, in their current order: for rows that turned out mostly non-zero.</summary>
    internal DenseTrainingSource ToDense()
    {
        var dense = new DenseTrainingSource.Builder(FeatureCount, HasWeights, _count, Description);
        for (int row = _first; row < _first + _count; row++)
        {
            _store.Row(row, out ReadOnlySpan<int> indices, out Span<float> stored);
            Span<float> values = dense.NextRow();
            values.Clear();
            for (int p = 0; p < indices.Length; p++)
            {
                values[indices[p]] = stored[p];
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
        _store.Scale(scales);

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
                (start, size) => (null, store.Rows(start, size)));
            _plans[batchSize] = plan;
        }

        return plan;
    }

    /// <summary>
    /// <see cref="LearningRateEstimate"/>'s curvature from the sparse rows: the largest squared row norm over all rows, and
    /// lambda_max of <c>A^T W A / sum(W)</c> by power iteration on up to 4,096 evenly spaced rows. The sample's columns (and
    /// the centred ones) are renumbered 0, 1, ... first, so that an iteration costs the sample's non-zeros instead of every
    /// column: 2.6 million slots of generated reviews took 0.28 s over the 30 iterations, most of it clearing and scaling
    /// vectors of 2.6 million doubles of which the sample reads 1 in 20.
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
            store.Row(row, out ReadOnlySpan<int> indices, out Span<float> values);
            double norm = shiftNorm;
            for (int p = 0; p < indices.Length; p++)
            {
                double value = values[p];
                norm += value * (value - (2.0 * (shift?[indices[p]] ?? 0f)));
            }

            largestNorm = Math.Max(largestNorm, norm);
        }

        int sampleCount = Math.Min(_count, LearningRateEstimate.SampleRows);
        var sampleStarts = new int[sampleCount + 1];
        var sampleWeights = new float[sampleCount];
        for (int s = 0; s < sampleCount; s++)
        {
            int row = _first + (int)((long)s * _count / sampleCount);
            store.Row(row, out ReadOnlySpan<int> indices, out _);
            sampleStarts[s + 1] = sampleStarts[s] + indices.Length;
            sampleWeights[s] = store.Weights?[row] ?? 1f;
        }

        // Column j of the data is column localOf[j] - 1 of the sample (0: not in the sample).
        var localOf = new int[FeatureCount];
        int localCount = 0;
        var sampleColumns = new int[sampleStarts[sampleCount]];
        var sampleValues = new float[sampleColumns.Length];
        for (int s = 0; s < sampleCount; s++)
        {
            store.Row(_first + (int)((long)s * _count / sampleCount), out ReadOnlySpan<int> indices, out Span<float> values);
            values.CopyTo(sampleValues.AsSpan(sampleStarts[s]));
            for (int p = 0; p < indices.Length; p++)
            {
                int j = indices[p];
                if (localOf[j] == 0)
                {
                    localOf[j] = ++localCount;
                }

                sampleColumns[sampleStarts[s] + p] = localOf[j] - 1;
            }
        }

        int[]? offsetColumns = null;
        if (offsets is not null)
        {
            offsetColumns = new int[offsets.Columns.Length];
            for (int c = 0; c < offsetColumns.Length; c++)
            {
                int j = offsets.Columns[c];
                if (localOf[j] == 0)
                {
                    localOf[j] = ++localCount;
                }

                offsetColumns[c] = localOf[j] - 1;
            }
        }

        double lambda = LearningRateEstimate.LargestEigenvalue(
            localCount, 1 / Math.Sqrt(FeatureCount + 1.0), sampleStarts, sampleColumns, sampleValues, sampleWeights, offsetColumns, offsets?.Values);
        return new LinearCurvature(lambda, largestNorm + 1.0, _count);
    }

    /// <summary>
    /// Collects sparse rows: each row's non-zeros in increasing column order (a dense row is added by its non-zeros), into pages
    /// that are filled and kept, never grown: reading costs no copies and at most one partly filled page of spare room, where
    /// arrays grown by half were copied a dozen times and ended up to half empty (60,000 generated reviews, 21.8 million
    /// non-zeros: the growth copies took 1.4 s of a 8.1 s fit). The first <see cref="Shuffle"/> (or batch plan) writes the
    /// pages into one array of exactly the non-zeros. At most <see cref="MaxNonZeros"/> non-zeros fit.
    /// </summary>
    internal sealed class Builder
    {
        private const int FirstPageCapacity = 4096; // Pages double from here up to LargestPageCapacity: a small data set stays small.
        private const int LargestPageCapacity = 1 << 20; // 8 MiB of columns and values.

        private readonly int _featureCount;
        private readonly string _description;
        private readonly SparseStatisticsAccumulator _statistics;
        private readonly List<Page> _pages = [];
        private float[] _labels;
        private float[]? _weights;
        private Page _page;
        private long _sealedNonZeros;
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
            _labels = new float[capacity];
            _weights = hasWeights ? new float[capacity] : null;
            _page = new Page(0, FirstPageCapacity);
        }

        /// <summary>The most non-zeros one store holds (one .NET array each of columns and values).</summary>
        internal static long MaxNonZeros => Array.MaxLength;

        internal int FeatureCount => _featureCount;

        /// <summary>The rows added so far.</summary>
        internal int RowCount => _rows;

        /// <summary>The non-zeros added so far.</summary>
        internal long NonZeroCount => _sealedNonZeros + _page.NonZeroCount;

        /// <summary>Adds a row by its non-zeros (columns in increasing order, each once; explicit zeros are dropped).</summary>
        /// <exception cref="InvalidOperationException">The store would hold more than <see cref="MaxNonZeros"/> non-zeros.</exception>
        internal void AddSparse(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, float label, float weight)
        {
            Page page = PageFor(indices.Length - CountZeros(values));
            int at = page.NonZeroCount;
            int kept = 0;
            for (int p = 0; p < indices.Length; p++)
            {
                if (values[p] != 0f)
                {
                    page.Indices[at + kept] = indices[p];
                    page.Values[at + kept] = values[p];
                    kept++;
                }
            }

            Commit(page, at, kept, label, weight);
        }

        /// <summary>Adds a dense row by its non-zeros.</summary>
        /// <exception cref="InvalidOperationException">The store would hold more than <see cref="MaxNonZeros"/> non-zeros.</exception>
        internal void AddDense(ReadOnlySpan<float> row, float label, float weight)
        {
            Page page = PageFor(row.Length - CountZeros(row));
            int at = page.NonZeroCount;
            int kept = 0;
            for (int j = 0; j < row.Length; j++)
            {
                if (row[j] != 0f)
                {
                    page.Indices[at + kept] = j;
                    page.Values[at + kept] = row[j];
                    kept++;
                }
            }

            Commit(page, at, kept, label, weight);
        }

        private static int CountZeros(ReadOnlySpan<float> values)
        {
            int zeros = 0;
            foreach (float value in values)
            {
                zeros += value == 0f ? 1 : 0;
            }

            return zeros;
        }

        private void Commit(Page page, int at, int kept, float label, float weight)
        {
            if (_rows == _labels.Length)
            {
                int grown = (int)Math.Min(_labels.Length + Math.Max(_labels.Length / 2L, 1024), Array.MaxLength - 1);
                Array.Resize(ref _labels, grown);
                if (_weights is not null)
                {
                    Array.Resize(ref _weights, grown);
                }
            }

            _statistics.Add(page.Indices.AsSpan(at, kept), page.Values.AsSpan(at, kept), label, _weights is null ? 1f : weight);
            _labels[_rows] = label;
            if (_weights is not null)
            {
                _weights[_rows] = weight;
            }

            _rows++;
            page.EndRow(at + kept);
        }

        /// <summary>The page the next row, of <paramref name="nonZeros"/> non-zeros, goes to: the current one while it has room.</summary>
        private Page PageFor(int nonZeros)
        {
            if (_page.NonZeroCount + (long)nonZeros <= _page.Capacity)
            {
                return _page;
            }

            if (NonZeroCount + nonZeros > MaxNonZeros)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"The sparse rows of {_description} hold more than {MaxNonZeros} non-zeros after {_rows} rows, more than one store can hold."));
            }

            if (_page.RowCount > 0)
            {
                _pages.Add(_page);
                _sealedNonZeros += _page.NonZeroCount;
            }

            _page = new Page(_rows, Math.Max(Math.Min(_page.Capacity * 2, LargestPageCapacity), nonZeros));
            return _page;
        }

        /// <summary>The source over the rows added (at least one).</summary>
        internal SparseTrainingSource Build()
        {
            if (_page.RowCount > 0)
            {
                _pages.Add(_page);
                _sealedNonZeros += _page.NonZeroCount;
                _page = new Page(_rows, 0);
            }

            var store = new Store([.. _pages], _labels, _weights, _featureCount, _rows, _sealedNonZeros, _statistics.Build(), _description);
            _pages.Clear();
            return new SparseTrainingSource(store, 0, _rows);
        }
    }

    /// <summary>Consecutive rows as read: their columns and values, and where each row starts (offsets into this page's arrays).</summary>
    private sealed class Page(int firstRow, int capacity)
    {
        private int[] _rowStarts = new int[Math.Min(capacity, 256) + 1];

        internal int FirstRow { get; } = firstRow;

        internal int Capacity { get; } = capacity;

        internal int[] Indices { get; } = GC.AllocateUninitializedArray<int>(capacity);

        internal float[] Values { get; } = GC.AllocateUninitializedArray<float>(capacity);

        internal int RowCount { get; private set; }

        internal int NonZeroCount => _rowStarts[RowCount];

        /// <summary>The page's row <paramref name="row"/> (counted from <see cref="FirstRow"/>): its start and end in the arrays.</summary>
        internal (int Start, int End) Range(int row) => (_rowStarts[row], _rowStarts[row + 1]);

        internal void EndRow(int end)
        {
            if (RowCount + 1 == _rowStarts.Length)
            {
                Array.Resize(ref _rowStarts, _rowStarts.Length * 2);
            }

            _rowStarts[++RowCount] = end;
        }
    }

    /// <summary>
    /// The arrays of one sparse data set, shared by its sources: the pages as read until the rows are first shuffled or cut
    /// into batches, then one array each of columns and values of exactly the non-zeros, row after row.
    /// </summary>
    private sealed class Store(Page[] pages, float[] labels, float[]? weights, int featureCount, int rowCount, long nonZeroCount, FeatureStatistics statistics, string description)
    {
        private Page[]? _pages = pages;
        private int[]? _rowStarts;
        private int[]? _indices;
        private float[]? _values;

        internal float[] Labels { get; private set; } = labels;

        internal float[]? Weights { get; private set; } = weights;

        internal int FeatureCount { get; } = featureCount;

        internal int RowCount { get; } = rowCount;

        internal long NonZeroCount { get; } = nonZeroCount;

        internal FeatureStatistics Statistics { get; } = statistics;

        internal string Description { get; } = description;

        /// <summary>The centred columns' offsets (in scaled units) that every row subtracts, or null.</summary>
        internal SparseOffsets? Offsets { get; set; }

        /// <summary>Row <paramref name="row"/>'s columns and values (writable: standardisation scales them in place).</summary>
        internal void Row(int row, out ReadOnlySpan<int> indices, out Span<float> values)
        {
            if (_pages is null)
            {
                int start = _rowStarts![row];
                int end = _rowStarts[row + 1];
                indices = _indices.AsSpan(start, end - start);
                values = _values.AsSpan(start, end - start);
                return;
            }

            Page page = PageOf(row);
            (int from, int to) = page.Range(row - page.FirstRow);
            indices = page.Indices.AsSpan(from, to - from);
            values = page.Values.AsSpan(from, to - from);
        }

        /// <summary>The rows <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1, sharing the store's arrays.</summary>
        internal SparseRows Rows(int start, int count)
        {
            if (_pages is not null)
            {
                Permute(null);
            }

            return new SparseRows(FeatureCount, count, _rowStarts!, start, _indices!, _values!, Offsets);
        }

        /// <summary>Multiplies every stored value by its column's scale.</summary>
        internal void Scale(float[] scales)
        {
            if (_pages is null)
            {
                ScaleValues(_indices.AsSpan(0, (int)NonZeroCount), _values.AsSpan(0, (int)NonZeroCount), scales);
                return;
            }

            foreach (Page page in _pages)
            {
                ScaleValues(page.Indices.AsSpan(0, page.NonZeroCount), page.Values.AsSpan(0, page.NonZeroCount), scales);
            }
        }

        private static void ScaleValues(ReadOnlySpan<int> indices, Span<float> values, float[] scales)
        {
            for (int p = 0; p < values.Length; p++)
            {
                values[p] *= scales[indices[p]];
            }
        }

        /// <summary>
        /// Rewrites the rows so that row i holds the row that was at <paramref name="order"/>[i] (the identity when null), into one
        /// array each of exactly the non-zeros (the pages, or the previous arrays, go).
        /// </summary>
        internal void Permute(int[]? order)
        {
            int nonZeros = (int)NonZeroCount;
            var rowStarts = new int[RowCount + 1];
            int[] indices = GC.AllocateUninitializedArray<int>(nonZeros);
            float[] values = GC.AllocateUninitializedArray<float>(nonZeros);
            float[] labels = order is null ? Labels : new float[RowCount];
            float[]? weights = order is null || Weights is null ? Weights : new float[RowCount];
            int at = 0;
            for (int i = 0; i < RowCount; i++)
            {
                int row = order?[i] ?? i;
                Row(row, out ReadOnlySpan<int> rowIndices, out Span<float> rowValues);
                rowIndices.CopyTo(indices.AsSpan(at));
                rowValues.CopyTo(values.AsSpan(at));
                at += rowIndices.Length;
                rowStarts[i + 1] = at;
                if (order is not null)
                {
                    labels[i] = Labels[row];
                    if (weights is not null)
                    {
                        weights[i] = Weights![row];
                    }
                }
            }

            (_rowStarts, _indices, _values, Labels, Weights) = (rowStarts, indices, values, labels, weights);
            _pages = null;
        }

        private Page PageOf(int row)
        {
            Page[] pages = _pages!;
            int low = 0, high = pages.Length - 1;
            while (low < high)
            {
                int middle = (low + high + 1) >> 1;
                if (pages[middle].FirstRow <= row)
                {
                    low = middle;
                }
                else
                {
                    high = middle - 1;
                }
            }

            return pages[low];
        }
    }
}
