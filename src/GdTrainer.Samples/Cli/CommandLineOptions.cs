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

    /// <summary>The command that prints the usage; <c>--help</c> or <c>-h</c> anywhere on the command line selects it too (see <see cref="Parse"/>).</summary>
    public const string HelpCommand = "help";

    /// <summary>The first argument (the command), the default command when none is given, or <see cref="HelpCommand"/> when help is asked for.</summary>
    public string Command { get; }

    /// <summary>
    /// Parses <c>[command] [--name value]...</c>. When <c>--help</c> or <c>-h</c> appears anywhere, or <c>help</c> stands
    /// where a command or an option name is expected, the rest is ignored and the command is <see cref="HelpCommand"/>:
    /// <c>--help</c> and <c>seed --iterations 5 -h</c> print the usage instead of an error. (<c>help</c> as an option's value,
    /// such as a CSV column named help, stays a value.)
    /// </summary>
    /// <exception cref="CommandLineException">An argument is not of that form, or an option is given twice.</exception>
    public static CommandLineOptions Parse(string[] args, string defaultCommand)
    {
        ArgumentNullException.ThrowIfNull(args);
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "--help" or "-h" || (args[i] == HelpCommand && (i == 0 || args[i - 1] is not ['-', '-', _, ..])))
            {
                return new CommandLineOptions(HelpCommand);
            }
        }

        int start = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? 1 : 0;
        var options = new CommandLineOptions(start == 1 ? args[0] : defaultCommand);
        for (int i = start; i < args.Length; i += 2)
        {
            string name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length < 3)
            {
                throw new CommandLineException($"Expected an option such as --seed, but found '{name}'.");
            }

            if (Flags.Contains(name))
            {
                if (!options._values.TryAdd(name, "true"))
                {
                    throw new CommandLineException($"Option {name} is given twice.");
                }

                i--; // A flag takes no value.
                continue;
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

    /// <summary>The options that take no value (<c>classify --no-lightgbm --linear-only</c>, <c>predict-class --labelled</c>).</summary>
    public static readonly IReadOnlySet<string> Flags = new HashSet<string>(["--no-lightgbm", "--linear-only", "--labelled", "--trace", "--no-warmup"], StringComparer.Ordinal);

    /// <summary>Whether the flag <paramref name="name"/> (one of <see cref="Flags"/>) was given.</summary>
    public bool GetFlag(string name) => GetString(name, null) is not null;

    /// <summary>The option's text value, or <paramref name="defaultValue"/> when absent.</summary>
    public string? GetString(string name, string? defaultValue)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out string? value) ? value : defaultValue;
    }

    /// <summary>The option as an integer from <paramref name="minimum"/> to <paramref name="maximum"/>.</summary>
    /// <param name="name">The option, e.g. <c>--points</c>.</param>
    /// <param name="defaultValue">The value when the option is absent.</param>
    /// <param name="minimum">The smallest value allowed. Default: no limit.</param>
    /// <param name="maximum">The largest value allowed. Default: no limit.</param>
    /// <param name="why">Why there is a maximum, appended to the error for a value above it, or null.</param>
    /// <exception cref="CommandLineException">The value is not such an integer.</exception>
    public int GetInt32(string name, int defaultValue, int minimum = int.MinValue, int maximum = int.MaxValue, string? why = null)
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

        if (value > maximum)
        {
            throw new CommandLineException(string.Create(CultureInfo.InvariantCulture,
                $"Option {name} must be at most {maximum:N0}, but was '{text}'.{(why is null ? string.Empty : " " + why)}"));
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

    /// <summary>The option as a finite number of at least zero.</summary>
    /// <exception cref="CommandLineException">The value is not a finite number >= 0.</exception>
    public float GetNonNegativeSingle(string name, float defaultValue)
    {
        string? text = GetString(name, null);
        if (text is null)
        {
            return defaultValue;
        }

        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value) || value < 0)
        {
            throw new CommandLineException($"Option {name} must be a number >= 0 (for example 0.1), but was '{text}'.");
        }

        return value;
    }

    /// <summary>The option as hidden-layer widths: positive integers separated by commas (e.g. <c>64,64</c>).</summary>
    /// <exception cref="CommandLineException">A width is not a positive integer.</exception>
    public int[] GetWidths(string name, IReadOnlyList<int> defaultValue)
    {
        string? text = GetString(name, null);
        if (text is null)
        {
            return [.. defaultValue];
        }

        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var widths = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out widths[i]) || widths[i] < 1)
            {
                throw new CommandLineException(
                    $"Option {name} must be hidden-layer widths as positive integers separated by commas (for example 64,64), but was '{text}'.");
            }
        }

        return widths;
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
