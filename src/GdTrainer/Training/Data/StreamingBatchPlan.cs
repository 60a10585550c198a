namespace GdTrainer.Training;

using GdTrainer.Autograd;

/// <summary>
/// The batches of a <see cref="StreamingTrainingSource"/>: each pass opens the stream and gathers its batches as the rows come,
/// through the source's <see cref="ShuffleBuffer"/> when the source was shuffled (a new seeded order each epoch that
/// <see cref="ShuffleOrder"/> is called, the same order otherwise), in stream order when it was not. A batch's tensors are
/// reused by the next batch: the loop uses a batch before it asks for the next, as <see cref="BatchPlan"/> requires.
/// </summary>
internal sealed class StreamingBatchPlan : BatchPlan
{
    private readonly StreamingTrainingSource _source;
    private readonly ShuffleBuffer? _buffer;
    private readonly int _lastSize;
    private readonly float[] _features;
    private readonly float[] _labels;
    private readonly float[]? _weights;
    private readonly TrainingBatch _full;
    private readonly TrainingBatch _last;
    private int _epochSeed;
    private StreamPass? _pass;
    private FastRandom? _random;
    private int _nextStep;

    /// <param name="source">The rows.</param>
    /// <param name="batchSize">Rows per batch, from 1 to the source's row count.</param>
    /// <param name="buffer">The buffer to shuffle through, or null to read the batches in stream order.</param>
    /// <param name="epochSeed">The seed of the first epoch's shuffle.</param>
    internal StreamingBatchPlan(StreamingTrainingSource source, int batchSize, ShuffleBuffer? buffer, int epochSeed)
    {
        _source = source;
        _buffer = buffer;
        _epochSeed = epochSeed;
        int rows = source.RowCount;
        int d = source.FeatureCount;
        BatchSize = batchSize;
        Count = (rows + batchSize - 1) / batchSize;
        _lastSize = rows - ((Count - 1) * batchSize);
        _features = GC.AllocateUninitializedArray<float>(checked(batchSize * d));
        _labels = GC.AllocateUninitializedArray<float>(batchSize);
        _weights = source.HasWeights ? GC.AllocateUninitializedArray<float>(batchSize) : null;
        _full = CreateBatch(batchSize);
        _last = _lastSize == batchSize ? _full : CreateBatch(_lastSize);
    }

    internal override int BatchSize { get; }

    internal override int Count { get; }

    /// <summary>Draws the seed of the next epoch's shuffle.</summary>
    internal override void ShuffleOrder(FastRandom random) => _epochSeed = random.NextBelow(int.MaxValue);

    /// <exception cref="DataReadException">Reading the stream failed, or it gave other rows than its first pass.</exception>
    /// <exception cref="InvalidOperationException">A step was asked out of order.</exception>
    internal override TrainingBatch this[int step]
    {
        get
        {
            if (step == 0)
            {
                EndPass();
                _pass = _source.OpenPass();
                _random = _buffer is null ? null : new FastRandom(_epochSeed);
                _buffer?.Fill(_pass);
            }
            else if (step != _nextStep || _pass is null)
            {
                throw new InvalidOperationException($"A streamed plan serves its steps in order from step 0, but step {step} was asked after step {_nextStep - 1}.");
            }

            bool last = step == Count - 1;
            int size = last ? _lastSize : BatchSize;
            int d = _source.FeatureCount;
            Span<float> features = _features.AsSpan(0, size * d);
            Span<float> labels = _labels.AsSpan(0, size);
            Span<float> weights = _weights is null ? default : _weights.AsSpan(0, size);
            if (_buffer is not null)
            {
                _buffer.Take(size, _random!, _pass, features, labels, weights);
            }
            else
            {
                ReadInOrder(_pass, features, labels, weights, d);
            }

            if (last)
            {
                _pass.Finish();
            }

            _nextStep = step + 1;
            TrainingBatch batch = last ? _last : _full;
            if (_weights is null)
            {
                return batch;
            }

            // A weighted batch's share of the total weight is known once its rows are: its scale is written in place (the
            // step reads it before the next batch is gathered), and the record carrying its weight is new (a few dozen bytes).
            double batchWeight = 0;
            foreach (float weight in weights)
            {
                batchWeight += weight;
            }

            batch.GradientScale.Data[0] = (float)(batchWeight * Count / _source.TotalWeight);
            return batch with { TotalWeight = batchWeight };
        }
    }

    internal override void EndPass()
    {
        _pass?.Dispose();
        _pass = null;
        _nextStep = 0;
    }

    private static void ReadInOrder(StreamPass pass, Span<float> features, Span<float> labels, Span<float> weights, int d)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if (!pass.Next(features.Slice(i * d, d), out labels[i], out float weight))
            {
                throw new InvalidOperationException("The stream ended before the plan's rows were read, although it gave the rows of its first pass.");
            }

            if (!weights.IsEmpty)
            {
                weights[i] = weight;
            }
        }
    }

    /// <summary>The batch of <paramref name="size"/> rows over the plan's arrays; without weights its weight and scale are fixed.</summary>
    private TrainingBatch CreateBatch(int size)
    {
        int d = _source.FeatureCount;
        Tensor<float>? weights = _weights is null ? null : Tensor.Wrap(_weights, 0, [size]);
        var gradientScale = Tensor.Scalar((float)((double)size * Count / _source.TotalWeight));
        return new TrainingBatch(Tensor.Wrap(_features, 0, [size, d]), null, Tensor.Wrap(_labels, 0, [size]), weights, size, gradientScale);
    }
}
