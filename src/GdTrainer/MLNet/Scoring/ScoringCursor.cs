namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// A cursor (or, for the row mapper, a row) over the scored view: input columns are passed through and the task's output
/// columns are computed from the current input row on request, through one <see cref="RowScorer"/> owned by this cursor (the
/// model runs once per row whichever output columns are read).
/// </summary>
internal sealed class ScoringCursor : DataViewRowCursor
{
    private readonly DataViewRow _input;
    private readonly DataViewRowCursor? _inputCursor;
    private readonly ScoringSchema _layout;
    private readonly Delegate?[] _getters;

    internal ScoringCursor(DataViewRow input, ScoringSchema layout, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        _input = input;
        _inputCursor = input as DataViewRowCursor;
        _layout = layout;
        _getters = new Delegate?[layout.Columns.Count];
        RowScorer? scorer = null;
        foreach (DataViewSchema.Column column in activeColumns)
        {
            if (layout.IsOutput(column.Index))
            {
                scorer ??= new RowScorer(input, layout.FeatureColumn, layout.Model);
                int output = column.Index - layout.FirstOutputIndex;
                _getters[output] ??= layout.Columns.CreateGetter(output, scorer);
            }
        }
    }

    public override DataViewSchema Schema => _layout.OutputSchema;

    public override long Position => _input.Position;

    public override long Batch => _input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        _layout.IsOutput(column.Index) ? _getters[column.Index - _layout.FirstOutputIndex] is not null : _input.IsColumnActive(_layout.InputSchema[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_layout.IsOutput(column.Index))
        {
            return _input.GetGetter<TValue>(_layout.InputSchema[column.Index]);
        }

        DataViewSchema.Column output = _layout.OutputSchema[column.Index];
        Delegate? getter = _getters[column.Index - _layout.FirstOutputIndex]
            ?? throw new InvalidOperationException($"The column '{output.Name}' was not requested when this cursor was created.");
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"The column '{output.Name}' is {output.Type} ({output.Type.RawType.Name}); it cannot be read as {typeof(TValue).Name}.");
    }

    public override bool MoveNext() =>
        _inputCursor?.MoveNext() ?? throw new InvalidOperationException("A mapped row cannot move; it follows its input row.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _input.Dispose();
        }

        base.Dispose(disposing);
    }
}
