namespace GdTrainer.Tests.Samples;

using System.Diagnostics;
using System.Text.RegularExpressions;

/// <summary>The process runner of the sample tests: a child that hangs is killed at the time limit, with everything it started.</summary>
public sealed class SamplesProcessTests
{
    [Fact]
    public async Task AChildThatHangsIsKilledWithEveryProcessItStartedAtTheTimeLimitAndTheFailureShowsItsOutput()
    {
        // The child writes to both streams, starts a grandchild that holds stdout open, and waits for it: 300 s unless killed.
        const string Script = "echo started; sleep 300 & echo \"grandchild $!\"; echo 'on stderr' >&2; wait";
        var clock = Stopwatch.StartNew();
        TimeoutException error = await Assert.ThrowsAsync<TimeoutException>(
            () => SamplesProcess.RunAsync("/bin/sh", ["-c", Script], TimeSpan.FromSeconds(2)));
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the run ended after {clock.Elapsed}, not at its 2 s limit");
        Assert.Contains("did not finish within 00:00:02 and was killed", error.Message, StringComparison.Ordinal);
        Assert.Contains("stdout so far:\nstarted\n", error.Message, StringComparison.Ordinal);
        Assert.Contains("stderr so far:\non stderr\n", error.Message, StringComparison.Ordinal);
        Match grandchild = Regex.Match(error.Message, @"grandchild (\d+)");
        Assert.True(grandchild.Success, error.Message);
        int pid = int.Parse(grandchild.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(IsRunning(Environment.ProcessId), "the /proc probe sees this test process running");
        Assert.True(
            SpinWait.SpinUntil(() => !IsRunning(pid), TimeSpan.FromSeconds(10)),
            $"the grandchild {pid} (sleep 300) still runs after its parent was killed");
    }

    [Fact]
    public async Task AChildThatFinishesInTimeGivesItsExitCodeAndBothStreams()
    {
        ProcessRun run = await SamplesProcess.RunAsync("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], TimeSpan.FromMinutes(1));
        Assert.Equal(new ProcessRun(3, "out\n", "err\n"), run);
    }

    /// <summary>Whether the process exists and is not a zombie (a killed process whose parent has not reaped it yet), from /proc.</summary>
    private static bool IsRunning(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return false;
        }

        // "pid (comm) state ...": the command may contain spaces and parentheses, the state follows the last ')'.
        char state = stat[stat.LastIndexOf(')') + 2];
        return state is not ('Z' or 'X' or 'x');
    }
}
