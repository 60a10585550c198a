namespace GdTrainer.Samples.Commands;

using System.Globalization;

/// <summary>Reads <c>--name value</c> pairs of a command's arguments.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    internal CommandLine(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"Expected '--option value' pairs, but got '{args[i]}'.");
            }

            _values[args[i][2..]] = args[++i];
        }
    }

    internal string? Get(string name) => _values.GetValueOrDefault(name);

    internal string Require(string name) =>
        Get(name) ?? throw new ArgumentException($"The option --{name} is required.");

    internal int GetInt(string name, int defaultValue) =>
        Get(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : defaultValue;
}
