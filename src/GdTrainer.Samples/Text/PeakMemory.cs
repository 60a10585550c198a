namespace GdTrainer.Samples.Text;

/// <summary>
/// The process's peak resident memory on Linux: <c>VmHWM</c> in <c>/proc/self/status</c>, which writing 5 to
/// <c>/proc/self/clear_refs</c> resets to the current resident size, so that the peak of one step can be read on its own.
/// Elsewhere the readings are 0 (and the sample prints a dash).
/// </summary>
public static class PeakMemory
{
    /// <summary>Resets the peak to the current resident size and returns that size in bytes (0 where unavailable).</summary>
    public static long ResetAndReadResident()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return 0;
        }

        return Read("VmRSS:");
    }

    /// <summary>The peak resident size since the last reset, in bytes (0 where unavailable).</summary>
    public static long ReadPeak() => Read("VmHWM:");

    private static long Read(string field)
    {
        if (!File.Exists("/proc/self/status"))
        {
            return 0;
        }

        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
