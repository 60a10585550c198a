using System.Globalization;

namespace GdTrainer.Samples.Cli;

/// <summary>
/// The samples' small command-line reader: <c>command --name value ...</c>. Every option is named
/// in errors with the value given and what it must be, so a typo never runs with a silent default.
/// </summary>
public sealed class CommandLineOptions
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private CommandLineOptions(string command) => Command = command;

    /// <summary>The first argument (the command), or the default command when none is given.</summary>
    public string Command { get; }

    /// <summary>Parses <c>[command] [--name value]...</c>.</summary>
    /// <exception cref="CommandLineException">An argument is not of that form, or an option is given twice.</exception>
    public static CommandLineOptions Parse(string[] args, string defaultCommand)
    {
        int start = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? 1 : 0;
        var options = new CommandLineOptions(start == 1 ? args[0] : defaultCommand);
        for (int i = start; i < args.Length; i += 2)
        {
            string name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length < 3)
            {
                throw new CommandLineException($"Expected an option such as --seed, but found '{name}'.");
            }

            if (i + 1 >= args.Length)
            {
                throw new CommandLineException($"Option {name} needs a value.");
            }

            if (!options._values.TryAdd(name, args[i + 1]))
            {
                throw new CommandLineException($"Option {name} is given twice.");
            }
        }

        return options;
    }

    /// <summary>The option's text value, or <paramref name="defaultValue"/> when absent.</summary>
    public string? GetString(string name, string? defaultValue)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out string? value) ? value : defaultValue;
    }

    /// <summary>The option as an integer no smaller than <paramref name="minimum"/>.</summary>
    /// <exception cref="CommandLineException">The value is not such an integer.</exception>
    public int GetInt32(string name, int defaultValue, int minimum = int.MinValue)
    {
        string? text = GetString(name, null);
        if (text is null)
        {
            return defaultValue;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < minimum)
        {
            throw new CommandLineException($"Option {name} must be an integer >= {minimum}, but was '{text}'.");
        }

        return value;
    }

    /// <summary>The option as a finite number greater than zero.</summary>
    /// <exception cref="CommandLineException">The value is not a positive finite number.</exception>
    public float GetPositiveSingle(string name, float defaultValue)
    {
        string? text = GetString(name, null);
        if (text is null)
        {
            return defaultValue;
        }

        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value) || value <= 0)
        {
            throw new CommandLineException($"Option {name} must be a positive number (for example 0.01), but was '{text}'.");
        }

        return value;
    }

    /// <summary>Fails on options that the command never asked for (typos).</summary>
    /// <exception cref="CommandLineException">An option was given that the command does not know.</exception>
    public void EnsureAllUsed()
    {
        foreach (string name in _values.Keys)
        {
            if (!_used.Contains(name))
            {
                throw new CommandLineException($"Command '{Command}' does not know option {name}; known: {string.Join(", ", _used.Order(StringComparer.Ordinal))}.");
            }
        }
    }
}
