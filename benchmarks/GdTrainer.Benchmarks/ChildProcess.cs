using System.Diagnostics;

namespace GdTrainer.Benchmarks;

/// <summary>Runs this benchmark program again in a fresh process, for figures that need one (peak memory, the first Fit's JIT).</summary>
public static class ChildProcess
{
    /// <summary>
    /// Runs this program with <paramref name="arguments"/>, echoing its output, and returns the lines that start with
    /// <c>RESULT </c>. Started as <c>dotnet GdTrainer.Benchmarks.dll</c>, it starts the child the same way.
    /// </summary>
    /// <exception cref="InvalidOperationException">The child could not start or ended with a non-zero exit code.</exception>
    public static List<string> Run(IReadOnlyList<string> arguments)
    {
        string program = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this program is unknown.");
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(program) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Console.WriteLine($"$ {string.Join(' ', start.ArgumentList)}");
        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var results = new List<string>();
        while (child.StandardOutput.ReadLine() is { } line)
        {
            Console.WriteLine(line);
            if (line.StartsWith("RESULT ", StringComparison.Ordinal))
            {
                results.Add(line);
            }
        }

        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{string.Join(' ', arguments)}' failed with exit code {child.ExitCode}.");
        }

        return results;
    }
}
