namespace GdTrainer.Training;

/// <summary>
/// What the checks of a task need to know about the labels of the usable rows, gathered in the same pass as the
/// <see cref="FeatureStatistics"/> (so that a source that does not keep its labels, a stream, is checked like one that does):
/// how many rows, how many labels lie above 0.5 (the positives of a 0/1 target), the first label, and whether every label equals it.
/// </summary>
/// <param name="Rows">The number of rows.</param>
/// <param name="AboveHalf">The number of labels above 0.5.</param>
/// <param name="First">The first row's label (0 when there is no row).</param>
/// <param name="AllEqual">Whether every label equals <paramref name="First"/>.</param>
internal readonly record struct LabelSummary(long Rows, long AboveHalf, float First, bool AllEqual)
{
    /// <summary>The summary with one more row of label <paramref name="label"/>.</summary>
    internal LabelSummary Add(float label) => Rows == 0
        ? new LabelSummary(1, label > 0.5f ? 1 : 0, label, true)
        : new LabelSummary(Rows + 1, AboveHalf + (label > 0.5f ? 1 : 0), First, AllEqual && label == First);
}
