namespace GdTrainer.Tests.Samples;

using System.Diagnostics;
using System.Globalization;

/// <summary>Runs the samples' <c>predict</c> command in another process and parses its scores (the route of SeparateProcessTests).</summary>
internal static class SamplesProcess
{
    internal static async Task<float[]> PredictAsync(string modelPath, string csvPath, string loader)
    {
        string[] lines = await RunAsync("predict", "--model", modelPath, "--input", csvPath, "--loader", loader);
        Assert.Equal("score", lines[0]);
        return [.. lines[1..].Select(l => float.Parse(l, CultureInfo.InvariantCulture))];
    }

    /// <summary>Runs a samples command in another process (2-minute limit) and returns its non-empty output lines; a failure shows its stderr.</summary>
    internal static async Task<string[]> RunAsync(params string[] arguments)
    {
        string samples = Path.Combine(AppContext.BaseDirectory, "GdTrainer.Samples.dll");
        Assert.True(File.Exists(samples), $"The samples are built next to the tests: {samples}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(samples);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> stderrTask = process.StandardError.ReadToEndAsync();
        string stdout = await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        string stderr = await stderrTask;
        Assert.True(process.ExitCode == 0, $"{string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Writes rows as the CSV the predict command reads: comma-separated round-trip floats, no header.</summary>
    internal static void WriteCsv(string path, float[][] rows) =>
        File.WriteAllLines(path, rows.Select(row => string.Join(",", row.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
}
