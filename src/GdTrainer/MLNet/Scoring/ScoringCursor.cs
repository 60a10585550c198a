namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// A cursor (or, for the row mapper, a row) over the scored view: input columns are passed through and
/// the score is computed from the current input row on request, with buffers owned by this cursor.
/// </summary>
internal sealed class ScoringCursor : DataViewRowCursor
{
    private readonly DataViewRow _input;
    private readonly DataViewRowCursor? _inputCursor;
    private readonly ScoringSchema _layout;
    private readonly bool _scoreActive;
    private readonly ValueGetter<float>? _scoreGetter;

    internal ScoringCursor(DataViewRow input, ScoringSchema layout, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        _input = input;
        _inputCursor = input as DataViewRowCursor;
        _layout = layout;
        _scoreActive = activeColumns.Any(c => c.Index == layout.ScoreIndex);
        _scoreGetter = _scoreActive ? layout.CreateScoreGetter(input) : null;
    }

    public override DataViewSchema Schema => _layout.OutputSchema;

    public override long Position => _input.Position;

    public override long Batch => _input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        column.Index == _layout.ScoreIndex ? _scoreActive : _input.IsColumnActive(_layout.InputSchema[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index != _layout.ScoreIndex)
        {
            return _input.GetGetter<TValue>(_layout.InputSchema[column.Index]);
        }

        if (_scoreGetter is null)
        {
            throw new InvalidOperationException($"The column '{GradientDescentRegressionTransformer.ScoreColumnName}' was not requested when this cursor was created.");
        }

        if (_scoreGetter is not ValueGetter<TValue> getter)
        {
            throw new InvalidOperationException(
                $"The column '{GradientDescentRegressionTransformer.ScoreColumnName}' is Single (float); it cannot be read as {typeof(TValue).Name}.");
        }

        return getter;
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
