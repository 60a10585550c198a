namespace GdTrainer.MLNet;

using Microsoft.ML;

/// <summary>The lazy result of a GdTrainer transformer's <c>Transform</c>: the input plus the computed output columns.</summary>
internal sealed class ScoringDataView(IDataView input, ScoringSchema layout) : IDataView
{
    public bool CanShuffle => input.CanShuffle;

    public DataViewSchema Schema => layout.OutputSchema;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        DataViewSchema.Column[] active = columnsNeeded.ToArray();
        DataViewRowCursor source = input.GetRowCursor(layout.InputColumnsFor(active), rand);
        return new ScoringCursor(source, layout, active);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        DataViewSchema.Column[] active = columnsNeeded.ToArray();
        DataViewRowCursor[] sources = input.GetRowCursorSet(layout.InputColumnsFor(active), n, rand);
        var cursors = new DataViewRowCursor[sources.Length];
        for (int i = 0; i < sources.Length; i++)
        {
            cursors[i] = new ScoringCursor(sources[i], layout, active);
        }

        return cursors;
    }
}
