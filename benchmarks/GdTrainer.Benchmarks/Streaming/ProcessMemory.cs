using System.Globalization;

namespace GdTrainer.Benchmarks.Streaming;

/// <summary>The process's resident memory from <c>/proc/self/status</c> (Linux): its peak (<c>VmHWM</c>) and current (<c>VmRSS</c>) resident set.</summary>
public static class ProcessMemory
{
    /// <summary>The peak resident set size so far, in bytes, or null where <c>/proc/self/status</c> does not exist.</summary>
    public static long? PeakResidentBytes() => Read("VmHWM:");

    /// <summary>The current resident set size, in bytes, or null where <c>/proc/self/status</c> does not exist.</summary>
    public static long? ResidentBytes() => Read("VmRSS:");

    /// <summary>Bytes as mebibytes with one decimal, or "n/a".</summary>
    public static string Format(long? bytes) => bytes is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b / (double)(1 << 20):F1} MiB") : "n/a";

    private static long? Read(string field)
    {
        const string Status = "/proc/self/status";
        if (!File.Exists(Status))
        {
            return null;
        }

        foreach (string line in File.ReadLines(Status))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                // "VmHWM:	  123456 kB"
                string[] parts = line[field.Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return null;
    }
}
