namespace GdTrainer.Tests.Samples;

using System.Text.RegularExpressions;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Distributed;

/// <summary>
/// The <c>distributed</c> sample without MPI (one process): its checksum is a function of the options (equal for equal runs, not
/// for another seed), a model it saves scores to the checksum it printed when loaded in the same way <c>--score</c> does, and a
/// bad option is named. Under <c>mpiexec</c> it is checked by <c>.ci/mpi-checks</c>.
/// </summary>
public sealed class DistributedCommandTests
{
    [Fact]
    public void TheChecksumDependsOnTheTrainedBitsAndTheSavedModelScoresAsPrinted()
    {
        string directory = Directory.CreateTempSubdirectory("gd-distributed-").FullName;
        try
        {
            string path = Path.Combine(directory, "model.zip");
            string first = Run("--model", "mlp", "--task", "binary", "--rows", "3000", "--epochs", "2", "--hidden", "8", "--save", path);
            string again = Run("--model", "mlp", "--task", "binary", "--rows", "3000", "--epochs", "2", "--hidden", "8", "--threads", "2");
            string otherSeed = Run("--model", "mlp", "--task", "binary", "--rows", "3000", "--epochs", "2", "--hidden", "8", "--seed", "2");
            string scored = Run("--model", "mlp", "--task", "binary", "--rows", "3000", "--score", path);

            Assert.Equal(Checksum(first, "model checksum"), Checksum(again, "model checksum")); // Threads change no bit.
            Assert.NotEqual(Checksum(first, "model checksum"), Checksum(otherSeed, "model checksum"));
            Assert.Equal(Checksum(first, "scores checksum"), Checksum(scored, "scores checksum"));
            Assert.Contains("no MPI", first);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ABadModelOrTaskIsNamed()
    {
        Assert.Contains("--model is 'cnn'; use linear or mlp.", Assert.Throws<CommandLineException>(() => Run("--model", "cnn")).Message);
        Assert.Contains("--task is 'ranking'; use regression or binary.", Assert.Throws<CommandLineException>(() => Run("--task", "ranking")).Message);
    }

    private static string Run(params string[] arguments)
    {
        var output = new StringWriter();
        Assert.Equal(0, DistributedCommand.Run(CommandLineOptions.Parse([DistributedCommand.Name, .. arguments], "seed"), output));
        return output.ToString();
    }

    private static string Checksum(string output, string kind)
    {
        Match match = Regex.Match(output, kind + @": (?<hex>[0-9a-f]{16})");
        Assert.True(match.Success, $"no '{kind}' in:\n{output}");
        return match.Groups["hex"].Value;
    }
}
