namespace GdTrainer.Tests.Models;

using System.Text.RegularExpressions;

/// <summary>
/// The Models room describes its modules through its own small interfaces (format records, inference lowering,
/// <c>IOnnxGraphBuilder</c>) and depends on nothing of the rooms that implement them: no ML.NET, no ONNX or protobuf types,
/// nothing of <c>GdTrainer.MLNet</c>. Checked on the source, comments aside, so that a use inside a method body counts too.
/// </summary>
public sealed partial class ModelsRoomDependencyTests
{
    [Fact]
    public void NoSourceFileOfModelsNamesMLNetOnnxOrProtobuf()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "GdTrainer.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException($"No GdTrainer.sln above {AppContext.BaseDirectory}.");
        }

        string[] files = Directory.GetFiles(Path.Combine(root, "src", "GdTrainer", "Models"), "*.cs", SearchOption.AllDirectories);
        Assert.True(files.Length > 10, $"found only {files.Length} source files under src/GdTrainer/Models");
        var offences = new List<string>();
        foreach (string file in files)
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string code = lines[i].Split("//")[0];
                if (Forbidden().Match(code) is { Success: true } match)
                {
                    offences.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {match.Value}");
                }
            }
        }

        Assert.True(offences.Count == 0, "Models names another room's types:\n" + string.Join("\n", offences));
    }

    [GeneratedRegex(@"Microsoft\.ML|Google\.Protobuf|\bOnnx\.|using\s+Onnx\b|GdTrainer\.MLNet|\b(Model|Graph|Node|Tensor|Attribute|ValueInfo)Proto\b")]
    private static partial Regex Forbidden();
}
