namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>The row-to-row mapper of the transformer (used by prediction engines): maps one input row to a row with the output columns.</summary>
internal sealed class ScoringRowMapper(ScoringSchema layout) : IRowToRowMapper
{
    public DataViewSchema InputSchema => layout.InputSchema;

    public DataViewSchema OutputSchema => layout.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        ArgumentNullException.ThrowIfNull(dependingColumns);
        return layout.InputColumnsFor(dependingColumns).ToArray();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(activeColumns);
        return new ScoringCursor(new NonDisposingRow(input), layout, activeColumns.ToArray());
    }

    /// <summary>The mapped row does not own its input row: disposing it must leave the input alone.</summary>
    private sealed class NonDisposingRow(DataViewRow inner) : DataViewRow
    {
        public override DataViewSchema Schema => inner.Schema;

        public override long Position => inner.Position;

        public override long Batch => inner.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(column);
    }
}
