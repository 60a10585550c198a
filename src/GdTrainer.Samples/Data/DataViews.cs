using Microsoft.ML;

namespace GdTrainer.Samples.Data;

/// <summary>Small helpers over <see cref="IDataView"/> that the sample commands share.</summary>
public static class DataViews
{
    /// <summary>The number of rows of <paramref name="data"/>, counted with a cursor over no column.</summary>
    public static long CountRows(IDataView data)
    {
        ArgumentNullException.ThrowIfNull(data);
        long count = 0;
        using DataViewRowCursor cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            count++;
        }

        return count;
    }
}
