namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Training;

/// <summary>
/// The one place that decides where a trainer's rows go, from <see cref="GradientDescentTrainerOptions.Streaming"/> and
/// <see cref="GradientDescentTrainerOptions.MemoryBudgetBytes"/>: held in memory, or streamed from the data view on every
/// epoch (<see cref="StreamingTrainingSource"/>). <see cref="DataViewReader"/> asks it before it stores rows and again before
/// its store grows, so that a data view that cannot tell its row count is streamed from the moment its rows would exceed the
/// budget; it describes the decision for the log.
/// </summary>
internal sealed class MemoryBudget
{
    /// <summary>The default budget is the memory available to the process divided by this.</summary>
    internal const int DefaultShareDivisor = 4;

    private MemoryBudget(bool? streaming, long bytes, long? available)
    {
        Streaming = streaming;
        Bytes = bytes;
        Available = available;
    }

    /// <summary>The option: true streams, false holds the rows in memory, null lets <see cref="Bytes"/> decide.</summary>
    internal bool? Streaming { get; }

    /// <summary>The most bytes the rows held in memory may take.</summary>
    internal long Bytes { get; }

    /// <summary>The memory available to the process when the budget is the default (a share of it), else null.</summary>
    internal long? Available { get; }

    /// <summary>The shuffle buffer's share when streaming: half the budget, at most <see cref="StreamingTrainingSource.MaxShuffleBufferBytes"/>.</summary>
    internal long ShuffleBufferBytes => Math.Min(Bytes / 2, StreamingTrainingSource.MaxShuffleBufferBytes);

    /// <summary>
    /// The budget of the options <see cref="GradientDescentTrainerOptions.Streaming"/> (<paramref name="streaming"/>) and
    /// <see cref="GradientDescentTrainerOptions.MemoryBudgetBytes"/> (<paramref name="budgetBytes"/>, by default a quarter of
    /// <c>GC.GetGCMemoryInfo().TotalAvailableMemoryBytes</c>: the machine's memory, or the container's limit or
    /// <c>GCHeapHardLimit</c> when one is set).
    /// </summary>
    internal static MemoryBudget Of(bool? streaming, long? budgetBytes)
    {
        if (budgetBytes is { } bytes)
        {
            return new MemoryBudget(streaming, bytes, null);
        }

        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return new MemoryBudget(streaming, available / DefaultShareDivisor, available);
    }

    /// <summary>The bytes a dense row takes in memory: its features, its label and its example weight when there are weights.</summary>
    internal static long RowBytes(int featureCount, bool hasWeights) => ShuffleBuffer.BytesFor(1, featureCount, hasWeights);

    /// <summary>The bytes <paramref name="source"/> takes in memory: its rows, or for streamed rows the shuffle buffer's share.</summary>
    internal long BytesHeldBy(TrainingSource source) =>
        source is StreamingTrainingSource ? ShuffleBufferBytes : (long)source.RowCount * RowBytes(source.FeatureCount, source.HasWeights);

    /// <summary>Whether rows taking <paramref name="bytes"/> are held in memory.</summary>
    internal bool Holds(long bytes) => Streaming is { } streaming ? !streaming : bytes <= Bytes;

    /// <summary>What is left of the budget once <paramref name="bytes"/> are held (for the validation rows, read after the training rows).</summary>
    internal MemoryBudget After(long bytes) => new(Streaming, Math.Max(Bytes - bytes, 0), Available);

    /// <summary>The decision for <paramref name="source"/>, in words for the log (once per data view and <c>Fit</c>).</summary>
    /// <param name="source">The rows as read.</param>
    /// <param name="which">"training" or "validation".</param>
    /// <param name="batchSize">The first batch size (the shuffle buffer holds at least two batches).</param>
    internal string Describe(TrainingSource source, string which, int batchSize)
    {
        long rows = source.RowCount;
        long bytes = rows * RowBytes(source.FeatureCount, source.HasWeights);
        string budget = string.Create(CultureInfo.InvariantCulture,
            $"the memory budget of {Format(Bytes)} (MemoryBudgetBytes{(Available is { } available ? $" null: a quarter of the {Format(available)} available to the process" : "")})");
        if (source.FeatureCount > DataViewReader.DenseSlotLimit && source is not StreamingTrainingSource)
        {
            // Read as sparse rows whatever the budget (and stored densely after all when mostly non-zero).
            string form = source is SparseTrainingSource ? "as sparse rows" : "densely (its sparse rows turned out mostly non-zero)";
            return string.Create(CultureInfo.InvariantCulture,
                $"GradientDescent holds the {rows:N0} {which} rows in memory {form}: a feature column wider than {DataViewReader.DenseSlotLimit:N0} slots is never streamed");
        }

        if (source is StreamingTrainingSource streamed)
        {
            int bufferRows = streamed.ShuffleBufferRows(batchSize);
            string why = Streaming == true ? "Options.Streaming = true"
                : bytes > Bytes ? $"more than {budget}"
                : rows > DenseTrainingSource.Builder.MaxRows(source.FeatureCount) ? string.Create(CultureInfo.InvariantCulture, $"more rows than one array holds, {DenseTrainingSource.Builder.MaxRows(source.FeatureCount):N0}")
                : $"a store growing by half while the rows were counted would have exceeded {budget}";
            string buffer = which == "training"
                ? string.Create(CultureInfo.InvariantCulture, $", shuffled through a buffer of {bufferRows:N0} rows ({Format(ShuffleBuffer.BytesFor(bufferRows, source.FeatureCount, source.HasWeights))})")
                : "";
            return string.Create(CultureInfo.InvariantCulture,
                $"GradientDescent streams the {rows:N0} {which} rows of {source.FeatureCount} features from the data view on every epoch ({Format(bytes)} in memory: {why}){buffer}");
        }

        string reason = Streaming == false ? "Options.Streaming = false" : $"within {budget}";
        return string.Create(CultureInfo.InvariantCulture, $"GradientDescent holds the {rows:N0} {which} rows in memory ({Format(bytes)}: {reason})");
    }

    /// <summary>Bytes in binary units, e.g. "672.0 MiB".</summary>
    private static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):F1} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };
}
