namespace GdTrainer.Tests.Samples;

using System.Diagnostics;
using System.Globalization;
using System.Text;

/// <summary>What a finished child process wrote and how it exited.</summary>
internal sealed record ProcessRun(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// The one way tests run another process: the samples (<c>dotnet GdTrainer.Samples.dll ...</c>) or any command. Output and error are
/// read as they come, so a child that never ends cannot block the wait; at the time limit the child and every process it started are
/// killed and the run fails with what they had written.
/// </summary>
internal static class SamplesProcess
{
    /// <summary>The time limit of a samples run.</summary>
    internal static readonly TimeSpan SamplesTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Runs <c>predict</c> in another process on a saved model and a CSV and parses its scores.</summary>
    internal static async Task<float[]> PredictAsync(string modelPath, string csvPath, string loader)
    {
        string[] lines = await OutputLinesAsync("predict", "--model", modelPath, "--input", csvPath, "--loader", loader);
        Assert.Equal("score", lines[0]);
        return [.. lines[1..].Select(l => float.Parse(l, CultureInfo.InvariantCulture))];
    }

    /// <summary>Runs a samples command that must succeed and returns its non-empty output lines; a failure shows its stderr.</summary>
    internal static async Task<string[]> OutputLinesAsync(params string[] arguments)
    {
        ProcessRun run = await RunSamplesAsync(arguments);
        Assert.True(run.ExitCode == 0, $"{string.Join(' ', arguments)} failed ({run.ExitCode}): {run.Stderr}");
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Runs a samples command in another process, within <see cref="SamplesTimeout"/>.</summary>
    internal static Task<ProcessRun> RunSamplesAsync(params string[] arguments)
    {
        string samples = Path.Combine(AppContext.BaseDirectory, "GdTrainer.Samples.dll");
        Assert.True(File.Exists(samples), $"The samples are built next to the tests: {samples}");
        return RunAsync("dotnet", [samples, .. arguments], SamplesTimeout);
    }

    /// <summary>
    /// Runs <paramref name="fileName"/> and waits for it to exit and close its output, at most <paramref name="timeout"/>. Past that,
    /// kills its whole process tree and throws a <see cref="TimeoutException"/> with the output so far.
    /// </summary>
    internal static async Task<ProcessRun> RunAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var limit = new CancellationTokenSource(timeout);
        try
        {
            // Returns once the process has exited and both streams have ended (a grandchild can hold them open).
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
            throw new TimeoutException(
                $"{fileName} {string.Join(' ', arguments)} did not finish within {timeout} and was killed with every process it started.\n" +
                $"stdout so far:\n{Read(stdout)}\nstderr so far:\n{Read(stderr)}");
        }

        return new ProcessRun(process.ExitCode, Read(stdout), Read(stderr));
    }

    /// <summary>Writes rows as the CSV the predict commands read: comma-separated round-trip floats, no header.</summary>
    internal static void WriteCsv(string path, float[][] rows) =>
        File.WriteAllLines(path, rows.Select(row => string.Join(",", row.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));

    private static void Append(StringBuilder text, string? line)
    {
        if (line is not null)
        {
            lock (text)
            {
                text.Append(line).Append('\n');
            }
        }
    }

    private static string Read(StringBuilder text)
    {
        lock (text)
        {
            return text.ToString();
        }
    }
}
