namespace GdTrainer.Training;

using System.Globalization;

/// <summary>
/// One pass of a <see cref="StreamingTrainingSource"/> over its stream: the rows of its side of the hold-out rule (all of them
/// without one), transformed as trained. It checks that the stream gives the rows its first pass counted, checks for
/// cancellation every 65,536 rows, and turns whatever the stream throws into a <see cref="DataReadException"/> naming it.
/// </summary>
internal sealed class StreamPass : IDisposable
{
    private const int CancellationCheckMask = 0xFFFF;

    private readonly IRowReader _reader;
    private readonly string _description;
    private readonly HoldOutRule.Selector? _selector;
    private readonly bool _takesHeldOut;
    private readonly int _streamRows;
    private readonly FeatureTransform? _transform;
    private readonly CancellationToken _cancellationToken;
    private readonly float[] _scratch;
    private int _seen;
    private bool _ended;

    private StreamPass(IRowReader reader, IRowStream stream, HoldOutRule? rule, bool takesHeldOut, int streamRows, FeatureTransform? transform, CancellationToken cancellationToken)
    {
        _reader = reader;
        _description = stream.Description;
        _selector = rule?.Start();
        _takesHeldOut = takesHeldOut;
        _streamRows = streamRows;
        _transform = transform;
        _cancellationToken = cancellationToken;
        _scratch = new float[stream.FeatureCount];
    }

    /// <summary>Opens a pass over <paramref name="stream"/>.</summary>
    /// <param name="stream">The rows.</param>
    /// <param name="rule">The hold-out rule, or null to take every row.</param>
    /// <param name="takesHeldOut">Whether the pass takes the rows the rule holds out (else the others).</param>
    /// <param name="streamRows">The usable rows of the stream, as its first pass counted them.</param>
    /// <param name="transform">The standardisation applied to each row taken, or null.</param>
    /// <param name="cancellationToken">Checked every 65,536 rows.</param>
    /// <exception cref="DataReadException">Opening the stream failed.</exception>
    internal static StreamPass Open(IRowStream stream, HoldOutRule? rule, bool takesHeldOut, int streamRows, FeatureTransform? transform, CancellationToken cancellationToken)
    {
        IRowReader reader;
        try
        {
            reader = stream.Open();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw DataReadException.ReadFailed(stream.Description, 0, exception);
        }

        return new StreamPass(reader, stream, rule, takesHeldOut, streamRows, transform, cancellationToken);
    }

    /// <summary>The rows this pass has taken so far.</summary>
    internal int Taken { get; private set; }

    /// <summary>Reads the next row of this pass's side into <paramref name="features"/> (transformed) with its label and weight; false at the end.</summary>
    /// <exception cref="DataReadException">The stream threw, or gave more or fewer usable rows than its first pass.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    internal bool Next(Span<float> features, out float label, out float weight)
    {
        while (!_ended)
        {
            bool read;
            try
            {
                read = _reader.Next(features, out label, out weight);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                throw DataReadException.ReadFailed(_description, _seen, exception);
            }

            if (!read)
            {
                _ended = true;
                if (_seen != _streamRows)
                {
                    throw DataReadException.RowsChanged(_description, _seen.ToString("N0", CultureInfo.InvariantCulture), _streamRows);
                }

                break;
            }

            if (_seen == _streamRows)
            {
                throw DataReadException.RowsChanged(_description, "more than " + _streamRows.ToString("N0", CultureInfo.InvariantCulture), _streamRows);
            }

            if ((++_seen & CancellationCheckMask) == 0)
            {
                _cancellationToken.ThrowIfCancellationRequested();
            }

            if (_selector is not null && _selector.Next() != _takesHeldOut)
            {
                continue;
            }

            _transform?.Apply(features, features);
            Taken++;
            return true;
        }

        label = 0f;
        weight = 0f;
        return false;
    }

    /// <summary>
    /// Reads the rest of the stream after the last row of this pass's side was taken, to check that the stream ends where its
    /// first pass did (rows of the other side may follow).
    /// </summary>
    /// <exception cref="DataReadException">The stream threw, or gave other rows than its first pass.</exception>
    internal void Finish()
    {
        while (Next(_scratch, out _, out _))
        {
            // Only rows of the other side can follow: taking one more means the stream grew, which Next reports first.
        }
    }

    /// <summary>Closes the stream's cursor.</summary>
    public void Dispose() => _reader.Dispose();
}
