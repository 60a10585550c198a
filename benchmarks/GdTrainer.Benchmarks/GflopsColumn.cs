using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace GdTrainer.Benchmarks;

/// <summary>
/// A summary column with each benchmark's GFLOP/s (its floating-point operations over its mean time),
/// or its share of the GFLOP/s of a reference benchmark of the same summary (the measured peak).
/// </summary>
/// <param name="name">The column's header.</param>
/// <param name="flops">The floating-point operations of one operation of a benchmark; null when it has none.</param>
/// <param name="peakMethod">For the share column, the name of the peak benchmark; null for the GFLOP/s column.</param>
internal sealed class GflopsColumn(string name, Func<BenchmarkCase, double?> flops, string? peakMethod = null) : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(GflopsColumn) + name;

    /// <inheritdoc/>
    public string ColumnName => name;

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => peakMethod is null ? 0 : 1;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => peakMethod is null
        ? "Floating-point operations per second (a multiply-add counts as 2), from the mean time"
        : $"GFLOP/s as a percentage of {peakMethod}'s";

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? gflops = Gflops(summary, benchmarkCase);
        if (gflops is null)
        {
            return "-";
        }

        if (peakMethod is null)
        {
            return gflops.Value.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        }

        BenchmarkCase? peak = summary.BenchmarksCases.FirstOrDefault(c => c.Descriptor.WorkloadMethod.Name == peakMethod);
        double? peakGflops = peak is null ? null : Gflops(summary, peak);
        return peakGflops is null ? "-" : (100 * gflops.Value / peakGflops.Value).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + "%";
    }

    /// <inheritdoc/>
    public override string ToString() => ColumnName;

    private double? Gflops(Summary summary, BenchmarkCase benchmarkCase)
    {
        double? operations = flops(benchmarkCase);
        double? meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return operations is null || meanNanoseconds is null or <= 0 ? null : operations.Value / meanNanoseconds.Value;
    }
}
