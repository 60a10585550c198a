namespace GdTrainer.Tests.Training;

using System.Text.RegularExpressions;

/// <summary>
/// The dependency arrows point one way: the engine rooms (autograd, models, losses, optimizers, training) never name a type of
/// ML.NET, of ONNX or protobuf, or of the ML.NET integration, so that an engine user trains without ML.NET and the integration
/// (and the exporter, which implements the engine's lowering interfaces) can change freely. Comments may mention them.
/// </summary>
public sealed partial class EngineRoomsTests
{
    [Theory]
    [InlineData("Autograd")]
    [InlineData("Models")]
    [InlineData("Losses")]
    [InlineData("Optimizers")]
    [InlineData("Training")]
    public void AnEngineRoomNeverNamesMLNetOnnxOrTheIntegration(string room)
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "GdTrainer.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException($"No GdTrainer.sln above {AppContext.BaseDirectory}.");
        }

        string[] files = Directory.GetFiles(Path.Combine(root, "src", "GdTrainer", room), "*.cs", SearchOption.AllDirectories);
        Assert.True(files.Length >= 5, $"found only {files.Length} source files under src/GdTrainer/{room}");
        var offending = new List<string>();
        foreach (string file in files)
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string code = lines[i].Split("//")[0];
                if (Forbidden().Match(code) is { Success: true } match)
                {
                    offending.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {match.Value}");
                }
            }
        }

        Assert.True(offending.Count == 0, $"The {room} room names another room's types:\n" + string.Join("\n", offending));
    }

    [GeneratedRegex(@"Microsoft\.ML|Google\.Protobuf|\bOnnx\.|using\s+Onnx\b|GdTrainer\.MLNet|\bMLNet\.|\b(Model|Graph|Node|Tensor|Attribute|ValueInfo)Proto\b")]
    private static partial Regex Forbidden();
}
