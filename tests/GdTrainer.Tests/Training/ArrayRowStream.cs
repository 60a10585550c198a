namespace GdTrainer.Tests.Training;

using GdTrainer.Training;

/// <summary>
/// Rows in arrays served as a stream, for the streamed source's tests: it counts its passes and the readers still open, and
/// can fail on purpose (throw after some rows of a given pass, or give fewer rows on a given pass).
/// </summary>
internal sealed class ArrayRowStream(float[][] features, float[] labels, float[]? weights = null) : IRowStream
{
    private readonly float[][] _features = features;
    private readonly float[] _labels = labels;
    private readonly float[]? _weights = weights;

    public int FeatureCount => _features[0].Length;

    public bool HasWeights => _weights is not null;

    public string Description => "the test stream";

    /// <summary>The passes opened so far.</summary>
    internal int Passes { get; private set; }

    /// <summary>The readers opened and not yet disposed.</summary>
    internal int OpenReaders { get; private set; }

    /// <summary>The pass (1-based) whose reader throws an <see cref="IOException"/> after <see cref="ThrowAfterRows"/> rows, or 0.</summary>
    internal int ThrowOnPass { get; init; }

    internal int ThrowAfterRows { get; init; }

    /// <summary>The pass (1-based) that ends one row early, or 0.</summary>
    internal int ShortOnPass { get; init; }

    /// <summary>A statistics pass as the ML.NET reader makes one: the statistics and the count of the rows.</summary>
    internal (FeatureStatistics Statistics, int Rows) FirstPass()
    {
        var accumulator = new FeatureStatisticsAccumulator(FeatureCount);
        for (int i = 0; i < _labels.Length; i++)
        {
            accumulator.Add(_features[i], _labels[i], _weights?[i] ?? 1f);
        }

        return (accumulator.Build(), _labels.Length);
    }

    /// <summary>A streamed source over the rows, its buffer holding <paramref name="bufferRows"/> rows (at least two batches).</summary>
    internal StreamingTrainingSource Source(int bufferRows = 1 << 20, CancellationToken cancellationToken = default)
    {
        (FeatureStatistics statistics, int rows) = FirstPass();
        return new StreamingTrainingSource(this, statistics, rows, ShuffleBuffer.BytesFor(bufferRows, FeatureCount, HasWeights), cancellationToken);
    }

    public IRowReader Open()
    {
        Passes++;
        OpenReaders++;
        return new Reader(this, Passes);
    }

    private sealed class Reader(ArrayRowStream stream, int pass) : IRowReader
    {
        private int _next;
        private bool _disposed;

        public bool Next(Span<float> features, out float label, out float weight)
        {
            int end = stream.ShortOnPass == pass ? stream._labels.Length - 1 : stream._labels.Length;
            if (stream.ThrowOnPass == pass && _next == stream.ThrowAfterRows)
            {
                throw new IOException("The disk went away.");
            }

            if (_next >= end)
            {
                label = 0f;
                weight = 0f;
                return false;
            }

            stream._features[_next].CopyTo(features);
            label = stream._labels[_next];
            weight = stream._weights?[_next] ?? 1f;
            _next++;
            return true;
        }

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                stream.OpenReaders--;
            }
        }
    }
}
