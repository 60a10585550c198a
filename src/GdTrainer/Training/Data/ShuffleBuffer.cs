namespace GdTrainer.Training;

/// <summary>
/// The window through which a streamed epoch shuffles its rows (tf.data's <c>shuffle(buffer_size)</c>, a batch at a time):
/// the buffer is filled with the first rows of the pass; each batch then takes rows from uniformly random places of the
/// buffer (distinct places, a partial Fisher-Yates over the places still holding a row), and the next rows of the stream take
/// the places just emptied; once the stream has ended, the rows left are emptied out the same way. A row thus leaves the
/// buffer a random number of batches after it entered, and every batch is a uniform sample of the rows in the window: with a
/// buffer as large as the data, a uniform shuffle of the epoch. The draws come from the epoch's seeded generator, so an epoch is
/// reproducible. Rows are taken one by one rather than in blocks of consecutive rows: a block keeps neighbours of a sorted
/// stream in the same batch, and the gather costs little against reading the row from its cursor.
/// </summary>
internal sealed class ShuffleBuffer
{
    /// <summary>Rows ahead whose place is prefetched while a batch is gathered.</summary>
    private const int Lookahead = 8;

    private readonly int _featureCount;
    private readonly float[] _features;
    private readonly float[] _labels;
    private readonly float[]? _weights;
    private readonly int[] _places; // _places[0 .. _live) are the places that hold a row.
    private int _live;

    /// <param name="capacity">The rows the buffer holds (at least 1).</param>
    /// <param name="featureCount">Features per row.</param>
    /// <param name="hasWeights">Whether rows carry example weights.</param>
    internal ShuffleBuffer(int capacity, int featureCount, bool hasWeights)
    {
        _featureCount = featureCount;
        _features = GC.AllocateUninitializedArray<float>(checked(capacity * featureCount));
        _labels = GC.AllocateUninitializedArray<float>(capacity);
        _weights = hasWeights ? GC.AllocateUninitializedArray<float>(capacity) : null;
        _places = new int[capacity];
    }

    /// <summary>The rows the buffer holds.</summary>
    internal int Capacity => _labels.Length;

    /// <summary>The bytes a buffer of <paramref name="rows"/> rows takes.</summary>
    internal static long BytesFor(long rows, int featureCount, bool hasWeights) => rows * (featureCount + 1L + (hasWeights ? 1 : 0)) * sizeof(float);

    /// <summary>Empties the buffer and fills it with the first rows of <paramref name="pass"/> (all of them when they fit).</summary>
    internal void Fill(StreamPass pass)
    {
        _live = 0;
        while (_live < Capacity && pass.Next(Row(_live), out float label, out float weight))
        {
            Keep(_live, label, weight);
            _places[_live] = _live;
            _live++;
        }
    }

    /// <summary>
    /// Takes <paramref name="count"/> rows (at most the rows the buffer holds) from random places into the batch's
    /// <paramref name="features"/> (<c>count x FeatureCount</c>), <paramref name="labels"/> and <paramref name="weights"/> (empty
    /// without weights), then refills those places from <paramref name="pass"/> while it has rows.
    /// </summary>
    internal void Take(int count, FastRandom random, StreamPass pass, Span<float> features, Span<float> labels, Span<float> weights)
    {
        if (count > _live)
        {
            throw new InvalidOperationException($"The shuffle buffer holds {_live} rows, fewer than the batch of {count} asks for.");
        }

        int d = _featureCount;
        for (int k = 0; k < count; k++)
        {
            int pick = k + random.NextBelow(_live - k);
            (_places[k], _places[pick]) = (_places[pick], _places[k]);
        }

        for (int k = 0; k < count; k++)
        {
            if (k + Lookahead < count)
            {
                CachePrefetch.Range(_features, _places[k + Lookahead] * d, d);
            }

            int place = _places[k];
            _features.AsSpan(place * d, d).CopyTo(features.Slice(k * d, d));
            labels[k] = _labels[place];
            if (_weights is not null)
            {
                weights[k] = _weights[place];
            }
        }

        // Refill from the last taken place down, so that a place left empty at the end of the stream can swap with the last
        // live place, which is then either untaken or already refilled.
        for (int k = count - 1; k >= 0; k--)
        {
            int place = _places[k];
            if (pass.Next(Row(place), out float label, out float weight))
            {
                Keep(place, label, weight);
            }
            else
            {
                _live--;
                (_places[k], _places[_live]) = (_places[_live], _places[k]);
            }
        }
    }

    private Span<float> Row(int place) => _features.AsSpan(place * _featureCount, _featureCount);

    private void Keep(int place, float label, float weight)
    {
        _labels[place] = label;
        if (_weights is not null)
        {
            _weights[place] = weight;
        }
    }
}
