namespace GdTrainer.MLNet;

using Microsoft.ML;

/// <summary>
/// The input columns a saved carrier (<see cref="SavedModelCarrier"/>) must keep although it writes and then drops helper columns
/// of the same name. A <c>CustomMapping</c>'s column names are fixed when GdTrainer is compiled, and ML.NET's <c>DropColumns</c>
/// removes every column of a name, a hidden one included, so a user column named like a helper column would vanish from the
/// plain-loaded chain's output. The carrier therefore copies each such column to a stash column first and copies it back after
/// dropping its helpers (<see cref="Plan"/> lists the pairs).
/// <para>
/// What is known of the input: the visible columns of the schema the transformer was fitted on (<see cref="FromSchema"/>), the
/// stashes read back from a saved carrier (<see cref="FromStashes"/>), or nothing (<see cref="None"/>, a transformer built with a
/// public constructor); the feature column is always known. A helper-named column outside that knowledge (one that appears only at
/// scoring time) cannot be kept by the plain-loaded chain.
/// </para>
/// </summary>
internal sealed class ProtectedColumns
{
    /// <summary>The prefix of every name the version-2 carrier gives its helper and stash columns.</summary>
    internal const string HelperPrefix = "__GdTrainer_v2_";

    private const string StashPrefix = HelperPrefix + "Kept_";

    private static readonly string[] s_outputNames =
        [PredictionColumns.ScoreColumnName, PredictionColumns.PredictedLabelColumnName, PredictionColumns.ProbabilityColumnName];

    private readonly HashSet<string> _visible;
    private readonly HashSet<string> _occupied;
    private readonly Stash[] _stashes;

    private ProtectedColumns(HashSet<string> visible, HashSet<string> occupied, Stash[] stashes)
    {
        _visible = visible;
        _occupied = occupied;
        _stashes = stashes;
    }

    /// <summary>Nothing is known of the input but the feature column.</summary>
    internal static ProtectedColumns None { get; } = new([], [], []);

    /// <summary>The input is <paramref name="schema"/>: its visible columns are kept, and no stash takes the name of any of its columns.</summary>
    internal static ProtectedColumns FromSchema(DataViewSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var visible = new HashSet<string>(StringComparer.Ordinal);
        var occupied = new HashSet<string>(StringComparer.Ordinal);
        foreach (DataViewSchema.Column column in schema)
        {
            occupied.Add(column.Name);
            if (!column.IsHidden)
            {
                visible.Add(column.Name);
            }
        }

        return new ProtectedColumns(visible, occupied, []);
    }

    /// <summary>The stashes of a saved carrier: the same columns are kept under the same stash names (chosen free of the schema it was saved from).</summary>
    internal static ProtectedColumns FromStashes(IReadOnlyList<Stash> stashes)
    {
        var visible = new HashSet<string>(StringComparer.Ordinal);
        var occupied = new HashSet<string>(StringComparer.Ordinal);
        foreach (Stash stash in stashes)
        {
            visible.Add(stash.Column);
            occupied.Add(stash.Column);
            occupied.Add(stash.StashColumn);
        }

        return new ProtectedColumns(visible, occupied, [.. stashes]);
    }

    /// <summary>
    /// The columns to stash for a carrier that writes and drops <paramref name="helperColumns"/> and reads <paramref name="featureColumnName"/>:
    /// each known visible input column (the feature column included) named like a helper, in the order of <paramref name="helperColumns"/>,
    /// with a stash name that is no known column, helper, output column or other stash. Empty when nothing collides (the usual case).
    /// </summary>
    internal IReadOnlyList<Stash> Plan(string featureColumnName, IReadOnlyList<string> helperColumns)
    {
        var taken = new HashSet<string>(_occupied, StringComparer.Ordinal) { featureColumnName };
        taken.UnionWith(helperColumns);
        taken.UnionWith(s_outputNames);
        var plan = new List<Stash>();
        foreach (string helper in helperColumns)
        {
            if (helper != featureColumnName && !_visible.Contains(helper))
            {
                continue;
            }

            int known = Array.FindIndex(_stashes, s => s.Column == helper);
            string stash = known >= 0 ? _stashes[known].StashColumn : FreeName(StashPrefix + helper[HelperPrefix.Length..], taken);
            taken.Add(stash);
            plan.Add(new Stash(helper, stash));
        }

        return plan;
    }

    /// <summary><paramref name="name"/>, or with the first suffix <c>_2</c>, <c>_3</c>, ... that is not <paramref name="taken"/>.</summary>
    private static string FreeName(string name, HashSet<string> taken)
    {
        string candidate = name;
        for (int suffix = 2; taken.Contains(candidate); suffix++)
        {
            candidate = name + "_" + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }

    /// <summary>A user column and the stash column that holds it while the carrier's helper column of the same name exists.</summary>
    /// <param name="Column">The user column, named like a helper column.</param>
    /// <param name="StashColumn">Where the carrier keeps a copy of it.</param>
    internal readonly record struct Stash(string Column, string StashColumn);
}
