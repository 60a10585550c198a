namespace GdTrainer.Tests.Training;

using System.Text.RegularExpressions;

/// <summary>
/// The dependency arrows point one way: the engine rooms (autograd, models, losses, optimizers, training) never reference
/// ML.NET or the ML.NET integration, so that an engine user trains without ML.NET and the integration can change freely.
/// </summary>
public sealed class EngineRoomsTests
{
    [Theory]
    [InlineData("Autograd")]
    [InlineData("Models")]
    [InlineData("Losses")]
    [InlineData("Optimizers")]
    [InlineData("Training")]
    public void AnEngineRoomNeverMentionsMLNetOrTheIntegration(string room)
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "GdTrainer.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException($"No GdTrainer.sln above {AppContext.BaseDirectory}.");
        }

        string[] files = Directory.GetFiles(Path.Combine(root, "src", "GdTrainer", room), "*.cs", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        var offending = new List<string>();
        foreach (string file in files)
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (Regex.IsMatch(lines[i], @"\bMicrosoft\.ML\b|\bGdTrainer\.MLNet\b|\bMLNet\."))
                {
                    offending.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }

        Assert.True(offending.Count == 0, "The engine must not reference ML.NET:\n" + string.Join("\n", offending));
    }
}
