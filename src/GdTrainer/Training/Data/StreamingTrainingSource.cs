namespace GdTrainer.Training;

using System.Numerics.Tensors;

/// <summary>
/// Rows read from a stream on every pass instead of held in memory, for data larger than memory: each epoch opens the stream
/// and gathers its batches as the rows come, through a seeded <see cref="ShuffleBuffer"/> (a new order each epoch, reproducible
/// for a seed). Memory is the buffer and one batch, not the data. The statistics of the rows (and the counts of the rows left
/// out) come from the first pass, which the creator makes while it reads the stream once; validation rows are held out by a
/// seeded rule (<see cref="HoldOutRule"/>) rather than by position; standardisation is applied to each row as it is read.
/// </summary>
/// <remarks>
/// Passes before the first epoch: the creator's (statistics, counts, label checks), then one more only when it is needed:
/// <see cref="EstimateLinearCurvature"/> (the derived learning rate needs the largest norm of the rows as trained, which the
/// first pass cannot know before the standardisation is built from its statistics), and, for weighted rows with a validation
/// hold-out, <see cref="HoldOut"/> (the weight of each side, which the batches' gradient scale needs). A source over a
/// held-out side reads the whole stream and keeps its side's rows.
/// </remarks>
internal sealed class StreamingTrainingSource : TrainingSource
{
    /// <summary>The largest shuffle buffer, whatever the budget: 128 MiB, about 1.5 million rows of 20 features.</summary>
    internal const long MaxShuffleBufferBytes = 128L << 20;

    private readonly IRowStream _stream;
    private readonly FeatureStatistics _statistics;
    private readonly int _streamRows;
    private readonly HoldOutRule? _rule;
    private readonly bool _heldOut;
    private readonly int _count;
    private readonly double _totalWeight;
    private readonly long _shuffleBufferBytes;
    private readonly CancellationToken _cancellationToken;
    private FeatureTransform? _transform;
    private int? _holdOutSeed;
    private int? _shuffleSeed;
    private ShuffleBuffer? _buffer;
    private StreamingBatchPlan? _plan;

    /// <param name="stream">The rows, read again on every pass.</param>
    /// <param name="statistics">The statistics of the stream's usable rows, from the creator's first pass.</param>
    /// <param name="rowCount">The stream's usable rows, as the first pass counted them (at least 1).</param>
    /// <param name="shuffleBufferBytes">The memory the shuffle buffer may take (it holds at least two batches whatever this says).</param>
    /// <param name="cancellationToken">Checked while passes read.</param>
    internal StreamingTrainingSource(IRowStream stream, FeatureStatistics statistics, int rowCount, long shuffleBufferBytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowCount);
        _stream = stream;
        _statistics = statistics;
        _streamRows = rowCount;
        _count = rowCount;
        _totalWeight = stream.HasWeights ? statistics.TotalWeight : rowCount;
        _shuffleBufferBytes = Math.Min(shuffleBufferBytes, MaxShuffleBufferBytes);
        _cancellationToken = cancellationToken;
    }

    private StreamingTrainingSource(StreamingTrainingSource whole, HoldOutRule rule, bool heldOut, int count, double totalWeight)
    {
        _stream = whole._stream;
        _statistics = whole._statistics;
        _streamRows = whole._streamRows;
        _shuffleBufferBytes = whole._shuffleBufferBytes;
        _cancellationToken = whole._cancellationToken;
        _transform = whole._transform;
        _rule = rule;
        _heldOut = heldOut;
        _count = count;
        _totalWeight = totalWeight;
        _shuffleSeed = heldOut ? null : whole._shuffleSeed; // Validation rows are read in stream order: their loss does not depend on it.
    }

    public override int FeatureCount => _stream.FeatureCount;

    public override int RowCount => _count;

    public override double TotalWeight => _totalWeight;

    public override bool HasWeights => _stream.HasWeights;

    internal override string Description => _stream.Description;

    internal override FeatureStatistics Statistics => _statistics;

    /// <summary>The rows the shuffle buffer holds for batches of <paramref name="batchSize"/> rows: its memory share, at least two batches, at most every row.</summary>
    internal int ShuffleBufferRows(int batchSize)
    {
        long rows = _shuffleBufferBytes / ShuffleBuffer.BytesFor(1, FeatureCount, HasWeights);
        return (int)Math.Min(_count, Math.Max(rows, 2L * batchSize));
    }

    /// <summary>Draws the seeds of the hold-out rule and of the epochs' shuffles (the rows of a stream cannot be permuted in place).</summary>
    internal override void Shuffle(FastRandom random)
    {
        if (_rule is not null)
        {
            throw new InvalidOperationException("Only a streamed source over all its rows can be shuffled; shuffle before holding rows out.");
        }

        _holdOutSeed = random.NextBelow(int.MaxValue);
        _shuffleSeed = random.NextBelow(int.MaxValue);
        _plan = null;
    }

    /// <summary>
    /// Holds out exactly <paramref name="count"/> rows chosen by a <see cref="HoldOutRule"/> seeded by the last
    /// <see cref="Shuffle"/>. With example weights it reads the stream once, for the weight of each side.
    /// </summary>
    /// <exception cref="DataReadException">That pass failed.</exception>
    internal override (TrainingSource Kept, TrainingSource HeldOut) HoldOut(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(count, _count);
        if (_rule is not null || _holdOutSeed is not { } seed)
        {
            throw new InvalidOperationException("A streamed source holds rows out by the seed of its shuffle: shuffle it first, and hold out of all its rows.");
        }

        var rule = new HoldOutRule(seed, _streamRows, count);
        (double kept, double heldOut) = HasWeights ? WeighSides(rule) : (_count - count, count);
        return (new StreamingTrainingSource(this, rule, heldOut: false, _count - count, kept), new StreamingTrainingSource(this, rule, heldOut: true, count, heldOut));
    }

    /// <summary>Standardises each row as a pass reads it.</summary>
    internal override void Standardize(FeatureTransform transform) => _transform = transform;

    /// <summary>
    /// The batches of <paramref name="batchSize"/> rows: through the shuffle buffer when the source was shuffled and there is
    /// more than one batch, in stream order otherwise. The last plan is kept (the validation loss asks for the same one every
    /// epoch); asking for another batch size replaces it, and the buffer is shared by the plans.
    /// </summary>
    internal override BatchPlan Plan(int batchSize)
    {
        batchSize = Math.Clamp(batchSize, 1, _count);
        if (_plan is null || _plan.BatchSize != batchSize)
        {
            bool shuffles = _shuffleSeed is not null && batchSize < _count;
            _plan = new StreamingBatchPlan(this, batchSize, shuffles ? BufferFor(batchSize) : null, _shuffleSeed ?? 0);
        }

        return _plan;
    }

    /// <summary>
    /// One pass over the rows as trained: the largest squared row norm over all of them, and a uniform sample of
    /// <see cref="LearningRateEstimate.SampleRows"/> rows (reservoir sampling, seeded) for the largest eigenvalue.
    /// </summary>
    /// <exception cref="DataReadException">The pass failed.</exception>
    internal override LinearCurvature EstimateLinearCurvature()
    {
        int d = FeatureCount;
        int sampleCount = Math.Min(_count, LearningRateEstimate.SampleRows);
        float[] sample = new float[sampleCount * d];
        float[] sampleWeights = new float[sampleCount];
        float[] row = new float[d];
        var random = new FastRandom(_shuffleSeed ?? 0);
        float largestNorm = 0f;
        int seen = 0;
        using (StreamPass pass = OpenPass())
        {
            while (pass.Next(row, out _, out float weight))
            {
                largestNorm = MathF.Max(largestNorm, TensorPrimitives.Dot<float>(row, row));
                int place = seen < sampleCount ? seen : random.NextBelow(seen + 1);
                if (place < sampleCount)
                {
                    row.CopyTo(sample.AsSpan(place * d, d));
                    sampleWeights[place] = weight;
                }

                seen++;
            }
        }

        return LearningRateEstimate.CurvatureOfSample(sample, sampleWeights, sampleCount, d, largestNorm, _count);
    }

    /// <summary>Opens a pass over this source's rows, transformed as trained.</summary>
    /// <exception cref="DataReadException">Opening the stream failed.</exception>
    internal StreamPass OpenPass() => StreamPass.Open(_stream, _rule, _heldOut, _streamRows, _transform, _cancellationToken);

    /// <summary>The shuffle buffer, grown when a batch needs more than it holds.</summary>
    private ShuffleBuffer BufferFor(int batchSize)
    {
        int rows = ShuffleBufferRows(batchSize);
        if (_buffer is null || _buffer.Capacity < rows)
        {
            _buffer = null; // Let the old buffer go before the new one is allocated.
            _buffer = new ShuffleBuffer(rows, FeatureCount, HasWeights);
        }

        return _buffer;
    }

    /// <summary>The example weight of the rows each side of <paramref name="rule"/> takes, in one pass.</summary>
    private (double Kept, double HeldOut) WeighSides(HoldOutRule rule)
    {
        float[] row = new float[FeatureCount];
        HoldOutRule.Selector selector = rule.Start();
        double kept = 0;
        double heldOut = 0;
        using (StreamPass pass = OpenPass())
        {
            while (pass.Next(row, out _, out float weight))
            {
                if (selector.Next())
                {
                    heldOut += weight;
                }
                else
                {
                    kept += weight;
                }
            }
        }

        return (kept, heldOut);
    }
}
