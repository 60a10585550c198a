using System.Globalization;
using GdTrainer.Training;

namespace GdTrainer.Samples.Distributed;

/// <summary>Writes one line per finished epoch: its loss and its own wall time (the reports carry the time since the first epoch began).</summary>
internal sealed class EpochPrinter(TextWriter output) : IProgress<EpochReport>
{
    private TimeSpan _previous;

    /// <inheritdoc/>
    public void Report(EpochReport value)
    {
        ArgumentNullException.ThrowIfNull(value);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {value.Epoch}: loss {value.TrainingLoss:G6}, batch {value.BatchSize}, {(value.Elapsed - _previous).TotalMilliseconds:N1} ms"));
        _previous = value.Elapsed;
    }
}
