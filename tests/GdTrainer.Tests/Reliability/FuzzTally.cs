namespace GdTrainer.Tests.Reliability;

using System.Globalization;
using System.Text;

/// <summary>What one fuzz case gave.</summary>
internal enum FuzzOutcome
{
    /// <summary>The damaged file loaded and scored exactly as the pristine one.</summary>
    IdenticalScores,

    /// <summary>An exception the route accepts as clean (for the helper: an InvalidDataException naming the file).</summary>
    CleanError,

    /// <summary>Any other exception.</summary>
    UncleanError,

    /// <summary>The file loaded but scoring it threw.</summary>
    ErrorWhileScoring,

    /// <summary>The damaged file loaded and scored different numbers: a silent failure.</summary>
    DifferentScores,

    /// <summary>No result within the per-case time limit.</summary>
    Hang,
}

/// <summary>Counts of fuzz outcomes by mutation kind, the exception types seen, and the failing cases.</summary>
internal sealed class FuzzTally
{
    private readonly Dictionary<(MutationKind, FuzzOutcome), int> _counts = [];
    private readonly Dictionary<string, int> _errorTypes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failuresByEntry = new(StringComparer.Ordinal);
    private readonly List<string> _failures = [];

    internal static FuzzOutcome[] Outcomes { get; } = Enum.GetValues<FuzzOutcome>();

    internal int Cases { get; private set; }

    /// <summary>Descriptions of the cases that were not identical scores or a clean error (at most 50 kept).</summary>
    internal IReadOnlyList<string> Failures => _failures;

    internal int Count(FuzzOutcome outcome)
    {
        int sum = 0;
        foreach (MutationKind kind in Enum.GetValues<MutationKind>())
        {
            sum += _counts.GetValueOrDefault((kind, outcome));
        }

        return sum;
    }

    /// <summary>The longest time a case took to give its result (hangs excluded).</summary>
    internal TimeSpan SlowestCase { get; private set; }

    /// <summary>The cases that gave a result, but only after the slow-case limit.</summary>
    internal int SlowCases { get; private set; }

    internal void Add(MutationKind kind, FuzzOutcome outcome, string detail, TimeSpan duration, TimeSpan slow)
    {
        Cases++;
        if (outcome != FuzzOutcome.Hang && duration > slow)
        {
            SlowCases++;
        }

        if (outcome != FuzzOutcome.Hang && duration > SlowestCase)
        {
            SlowestCase = duration;
        }

        _counts[(kind, outcome)] = _counts.GetValueOrDefault((kind, outcome)) + 1;
        if (outcome is FuzzOutcome.CleanError or FuzzOutcome.UncleanError or FuzzOutcome.ErrorWhileScoring)
        {
            string type = detail.Split(':', 2)[0];
            _errorTypes[type] = _errorTypes.GetValueOrDefault(type) + 1;
        }
    }

    internal void AddFailure(string entries, string description)
    {
        _failuresByEntry[entries] = _failuresByEntry.GetValueOrDefault(entries) + 1;
        if (_failures.Count < 50)
        {
            _failures.Add(description);
        }
    }

    /// <summary>The counts as text; <paramref name="next"/> is the index after the last case run (where a run stopped by a hang resumes).</summary>
    internal string Summary(string route, int first, int next, TimeSpan elapsed)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm}Z route={route} cases={Cases} (indices {first}..{next - 1}) next={next} in {elapsed.TotalSeconds:F1} s ({elapsed.TotalMilliseconds / Math.Max(1, Cases):F2} ms/case, slowest {SlowestCase.TotalMilliseconds:F0} ms, {SlowCases} slow):");
        foreach (FuzzOutcome outcome in Outcomes)
        {
            text.Append(CultureInfo.InvariantCulture, $" {outcome}={Count(outcome)}");
        }

        text.AppendLine();
        foreach (MutationKind kind in Enum.GetValues<MutationKind>())
        {
            text.Append(CultureInfo.InvariantCulture, $"  {kind}:");
            foreach (FuzzOutcome outcome in Outcomes)
            {
                text.Append(CultureInfo.InvariantCulture, $" {outcome}={_counts.GetValueOrDefault((kind, outcome))}");
            }

            text.AppendLine();
        }

        text.Append("  exceptions:");
        foreach ((string type, int count) in _errorTypes.OrderByDescending(p => p.Value))
        {
            text.Append(CultureInfo.InvariantCulture, $" {type}={count}");
        }

        text.AppendLine();
        text.Append("  non-clean outcomes by damaged entry:");
        foreach ((string entries, int count) in _failuresByEntry.OrderByDescending(p => p.Value))
        {
            text.Append(CultureInfo.InvariantCulture, $" [{entries}]={count}");
        }

        foreach (string failure in _failures)
        {
            text.AppendLine().Append("  ").Append(failure);
        }

        return text.ToString();
    }
}
