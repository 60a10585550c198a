namespace GdTrainer.Training;

using System.Globalization;
using GdTrainer.Autograd;

/// <summary>
/// Rows held in memory as their non-zeros: per row, its columns and values, in the pages they were read into, so memory
/// follows the non-zeros (8 bytes each, plus 12 per row), never rows times features. The rows are kept in a list (per row
/// its page and range) that shuffling reorders, so that a batch is a range of that list, which the products read row by
/// row: long rows never move (rewriting the 60,000 generated reviews into one array in their shuffled order cost 0.5 s and
/// a second copy of the non-zeros, most of it first-touch page faults), short ones are rewritten once in their shuffled
/// order, where an epoch reads them sequentially (see <c>Store</c>). Standardisation scales each column (it cannot centre:
/// subtracting a mean would fill the zeros in).
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
    /// non-zeros: the growth copies took 1.4 s of a 8.1 s fit). The pages are the store: nothing copies them again. At most
    /// <see cref="MaxNonZeros"/> non-zeros fit.
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

        /// <summary>The most non-zeros one store holds: 2^31 - 1 (16 GiB of columns and values), refused before that memory is spent.</summary>
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
    /// The arrays of one sparse data set, shared by its sources: the pages as read, and the list of rows in their current
    /// order (per row its page, start and end, its label and its weight), which a shuffle reorders. Short rows are rewritten
    /// in their shuffled order instead (see <see cref="Permute"/>).
    /// </summary>
    private sealed class Store
    {
        // Rows of at least this many non-zeros on average stay where they were read when shuffled; shorter ones are rewritten in
        // the shuffled order. Measured in alternating runs: left in place, rows of 364 non-zeros (generated reviews) trained as
        // fast as rewritten ones and the fit saved the rewrite (3.3 s against 5.1-5.3 s, 160 MB less at its peak); rows of 133
        // (hashed 1-2-grams) made the epochs 15-40% slower, each row starting with a wait for memory that prefetching did not hide.
        private const int InPlaceNonZerosPerRow = 256;

        private int[][] _indexArrays;
        private float[][] _valueArrays;
        private int[] _used; // The entries of each array that hold rows.
        private int[]? _pageOf;
        private int[] _starts;
        private int[]? _ends; // Null once rewritten: row r then ends where row r + 1 starts.

        internal Store(Page[] pages, float[] labels, float[]? weights, int featureCount, int rowCount, long nonZeroCount, FeatureStatistics statistics, string description)
        {
            _indexArrays = [.. pages.Select(page => page.Indices)];
            _valueArrays = [.. pages.Select(page => page.Values)];
            _used = [.. pages.Select(page => page.NonZeroCount)];
            _pageOf = new int[rowCount];
            _starts = new int[rowCount];
            _ends = new int[rowCount];
            for (int p = 0; p < pages.Length; p++)
            {
                for (int r = 0; r < pages[p].RowCount; r++)
                {
                    int row = pages[p].FirstRow + r;
                    _pageOf[row] = p;
                    (_starts[row], _ends[row]) = pages[p].Range(r);
                }
            }

            (Labels, Weights, FeatureCount, RowCount, NonZeroCount, Statistics, Description) = (labels, weights, featureCount, rowCount, nonZeroCount, statistics, description);
        }

        internal float[] Labels { get; private set; }

        internal float[]? Weights { get; private set; }

        internal int FeatureCount { get; }

        internal int RowCount { get; }

        internal long NonZeroCount { get; }

        internal FeatureStatistics Statistics { get; }

        internal string Description { get; }

        /// <summary>The centred columns' offsets (in scaled units) that every row subtracts, or null.</summary>
        internal SparseOffsets? Offsets { get; set; }

        /// <summary>Row <paramref name="row"/>'s columns and values (writable: standardisation scales them in place).</summary>
        internal void Row(int row, out ReadOnlySpan<int> indices, out Span<float> values)
        {
            int start = _starts[row];
            int end = _ends?[row] ?? _starts[row + 1];
            int array = _pageOf?[row] ?? 0;
            indices = _indexArrays[array].AsSpan(start, end - start);
            values = _valueArrays[array].AsSpan(start, end - start);
        }

        /// <summary>The rows <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1, sharing the store's arrays.</summary>
        internal SparseRows Rows(int start, int count) =>
            new(FeatureCount, count, _indexArrays, _valueArrays, _pageOf, _starts, _ends, start, Offsets);

        /// <summary>Multiplies every stored value by its column's scale.</summary>
        internal void Scale(float[] scales)
        {
            for (int a = 0; a < _indexArrays.Length; a++)
            {
                Span<float> values = _valueArrays[a].AsSpan(0, _used[a]);
                ReadOnlySpan<int> indices = _indexArrays[a].AsSpan(0, _used[a]);
                for (int p = 0; p < values.Length; p++)
                {
                    values[p] *= scales[indices[p]];
                }
            }
        }

        /// <summary>
        /// Reorders the rows so that row i is the row that was at <paramref name="order"/>[i]: long rows by reordering the list
        /// (the non-zeros stay where they are), short ones by rewriting them in that order into one array each of exactly the
        /// non-zeros (the pages go).
        /// </summary>
        internal void Permute(int[] order)
        {
            Labels = Gather(Labels, order);
            Weights = Weights is null ? null : Gather(Weights, order);
            if (NonZeroCount >= (long)InPlaceNonZerosPerRow * RowCount)
            {
                _pageOf = Gather(_pageOf!, order);
                _starts = Gather(_starts, order);
                _ends = Gather(_ends!, order);
                return;
            }

            int nonZeros = (int)NonZeroCount;
            var starts = new int[RowCount + 1];
            int[] indices = GC.AllocateUninitializedArray<int>(nonZeros);
            float[] values = GC.AllocateUninitializedArray<float>(nonZeros);
            int at = 0;
            for (int i = 0; i < RowCount; i++)
            {
                Row(order[i], out ReadOnlySpan<int> rowIndices, out Span<float> rowValues);
                rowIndices.CopyTo(indices.AsSpan(at));
                rowValues.CopyTo(values.AsSpan(at));
                at += rowIndices.Length;
                starts[i + 1] = at;
            }

            (_indexArrays, _valueArrays, _used, _pageOf, _starts, _ends) = ([indices], [values], [nonZeros], null, starts, null);
        }

        private static T[] Gather<T>(T[] values, int[] order)
        {
            var gathered = new T[order.Length];
            for (int i = 0; i < order.Length; i++)
            {
                gathered[i] = values[order[i]];
            }

            return gathered;
        }
    }
}
