namespace GdTrainer.Tests.Samples;

using System.Text.RegularExpressions;

/// <summary>
/// The README's code that tests (or the package smoke app) run is the code they run: each such block is marked in its source
/// between <c>// README: begin NAME</c> and <c>// README: end NAME</c>, and README.md must hold it as a csharp block of exactly
/// those lines (their common indentation removed). The README's test command is the one CI runs.
/// </summary>
public sealed class ReadmeVerbatimTests
{
    /// <summary>Every source file with README markers (relative to the repository root), with the names of its blocks in order.</summary>
    public static TheoryData<string, string[]> MarkedFiles() => new()
    {
        { "tests/GdTrainer.Tests/Samples/ReadmeExamplesTests.cs", ["custom loss class", "custom loss use", "early stopping", "hidden layers", "watching training", "continue training", "feature importance"] },
        { "tests/GdTrainer.Tests/MLNet/Export/ReadmeOnnxExampleTests.cs", ["export to onnx"] },
        { "tests/GdTrainer.Tests/MLNet/Data/StreamingTests.cs", ["data larger than memory"] },
        { "tests/GdTrainer.Tests/Training/ModuleTrainerTests.cs", ["module trainer"] },
        { "tests/GdTrainer.Tests/MLNet/Trainers/DistributedTrainerTests.cs", ["several machines"] },
        { ".ci/package-smoke/Program.cs", ["install", "install types"] },
    };

    [Theory]
    [MemberData(nameof(MarkedFiles))]
    public void EachMarkedBlockIsACsharpBlockOfTheReadme(string file, string[] names)
    {
        string readme = ReadRepositoryFile("README.md");
        string source = ReadRepositoryFile(file);
        MatchCollection blocks = Regex.Matches(source, @"// README: begin (?<name>[a-z ]+)\n(?<code>.*?)\n *// README: end \k<name>\n", RegexOptions.Singleline);
        Assert.Equal(names, blocks.Select(block => block.Groups["name"].Value));
        Assert.Equal(2 * blocks.Count, Regex.Matches(source, @"^ *// README: (begin|end) ", RegexOptions.Multiline).Count); // No marker without its pair.
        foreach (Match block in blocks)
        {
            string[] lines = block.Groups["code"].Value.Split('\n');
            int indent = lines.Where(line => line.Trim().Length > 0).Min(line => line.Length - line.TrimStart().Length);
            string code = string.Join("\n", lines.Select(line => line.Length >= indent ? line[indent..] : line.TrimStart()));
            Assert.True(
                readme.Contains("```csharp\n" + code + "\n```\n", StringComparison.Ordinal),
                $"README.md lacks the block '{block.Groups["name"].Value}' of {file} as a csharp block:\n{code}");
        }
    }

    [Fact]
    public void EveryFileWithReadmeMarkersIsChecked()
    {
        string root = RepositoryRoot();
        string[] marked =
        [
            .. new[] { "tests", ".ci", "src", "benchmarks" }
                .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
                .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && Regex.IsMatch(File.ReadAllText(path), @"^ *// README: begin ", RegexOptions.Multiline))
                .Select(path => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/'))
                .Order(StringComparer.Ordinal),
        ];
        string[] checkedFiles = [.. MarkedFiles().Select(row => (string)row[0]).Order(StringComparer.Ordinal)];
        Assert.Equal(checkedFiles, marked);
    }

    [Fact]
    public void TheReadmeTestCommandIsTheReleaseRunThatCiRuns()
    {
        string readme = ReadRepositoryFile("README.md");
        string firstBlock = Regex.Match(readme, "```bash\n(?<commands>.*?)```", RegexOptions.Singleline).Groups["commands"].Value;
        string readmeCommand = Assert.Single(firstBlock.Split('\n'), line => line.StartsWith("dotnet test", StringComparison.Ordinal)).Split('#')[0].Trim();
        Assert.Equal("dotnet test -c Release", readmeCommand);

        string[] ciTestRuns = [.. ReadRepositoryFile(".ci/run").Split('\n').Select(line => line.Trim()).Where(line => line.StartsWith("dotnet test", StringComparison.Ordinal))];
        Assert.Equal(readmeCommand + " 2>&1 | tee \"$log\"", Assert.Single(ciTestRuns));
    }

    private static string ReadRepositoryFile(string relativePath) =>
        File.ReadAllText(Path.Combine(RepositoryRoot(), relativePath)).ReplaceLineEndings("\n");

    private static string RepositoryRoot()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "GdTrainer.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException($"No GdTrainer.sln above {AppContext.BaseDirectory}.");
        }

        return root;
    }
}
