namespace GdTrainer.Tests.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// A data view over another whose cursor number <see cref="FailOnCursor"/> (1-based) throws an <see cref="IOException"/> when it
/// is asked to move past row <see cref="FailAfterRows"/>, as a file that becomes unreadable while training streams it would. It
/// counts the cursors it gave out and those still open.
/// </summary>
internal sealed class FailingDataView(IDataView inner) : IDataView
{
    internal int FailOnCursor { get; init; }

    internal long FailAfterRows { get; init; }

    internal int Cursors { get; private set; }

    internal int OpenCursors { get; private set; }

    public bool CanShuffle => false;

    public DataViewSchema Schema => inner.Schema;

    public long? GetRowCount() => inner.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        Cursors++;
        OpenCursors++;
        return new Cursor(this, inner.GetRowCursor(columnsNeeded, rand), Cursors == FailOnCursor);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(FailingDataView view, DataViewRowCursor inner, bool fails) : DataViewRowCursor
    {
        private bool _disposed;

        public override DataViewSchema Schema => inner.Schema;

        public override long Position => inner.Position;

        public override long Batch => inner.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(column);

        public override bool MoveNext()
        {
            if (fails && inner.Position + 1 == view.FailAfterRows)
            {
                throw new IOException("The file was truncated.");
            }

            return inner.MoveNext();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                inner.Dispose();
                view.OpenCursors--;
            }

            base.Dispose(disposing);
        }
    }
}
