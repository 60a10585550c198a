namespace GdTrainer.Tests.MLNet;

using System.Text.RegularExpressions;

/// <summary>
/// The rooms of the ML.NET integration (<c>src/GdTrainer/MLNet/*</c>) name each other's types one way only, bottom to top:
/// <code>
/// Data                 reading the columns
/// Scoring              the fitted model, the transformers and their views; the task as a transformer sees it
/// Persistence, Export  the saved carrier and its restorer; the ONNX graph (neither names the other)
/// Tasks                what differs per task, through the interfaces the rooms below define
/// Trainers             the trainer base, the sealed trainers, their options and catalogs
/// </code>
/// So Scoring never names Persistence (a transformer saves through its task), and no room below Tasks names a task. Every room
/// shares the namespace <c>GdTrainer.MLNet</c>, so a type's room is the folder of the file that declares it, and a file names a
/// type when its code (comments and string literals left out) holds the type's name as a word.
/// </summary>
public sealed partial class IntegrationRoomsTests
{
    /// <summary>Each room and the rooms whose types it may name.</summary>
    private static readonly Dictionary<string, string[]> AllowedRooms = new()
    {
        ["Data"] = [],
        ["Scoring"] = ["Data"],
        ["Persistence"] = ["Scoring", "Data"],
        ["Export"] = ["Scoring", "Data"],
        ["Tasks"] = ["Persistence", "Export", "Scoring", "Data"],
        ["Trainers"] = ["Tasks", "Persistence", "Export", "Scoring", "Data"],
    };

    [Fact]
    public void EveryFolderOfTheIntegrationIsARoomOfThePicture()
    {
        string[] folders = [.. Directory.GetDirectories(IntegrationRoot()).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];
        Assert.Equal(AllowedRooms.Keys.Order(StringComparer.Ordinal), folders);
        Assert.Empty(Directory.GetFiles(IntegrationRoot(), "*.cs"));
    }

    [Fact]
    public void EachTypeNameIsDeclaredInOneRoomOnly()
    {
        var rooms = new Dictionary<string, string>(StringComparer.Ordinal);
        var twice = new List<string>();
        foreach ((string room, string file) in SourceFiles())
        {
            foreach (string type in DeclaredTypes(Code(file)))
            {
                if (rooms.TryGetValue(type, out string? other) && other != room)
                {
                    twice.Add($"{type}: {other} and {room}");
                }

                rooms[type] = room;
            }
        }

        Assert.True(twice.Count == 0, "A type name declared in two rooms cannot tell which room a file names:\n" + string.Join("\n", twice));
    }

    [Theory]
    [InlineData("Data")]
    [InlineData("Scoring")]
    [InlineData("Persistence")]
    [InlineData("Export")]
    [InlineData("Tasks")]
    [InlineData("Trainers")]
    public void ARoomNamesOnlyTheTypesOfTheRoomsBelowIt(string room)
    {
        (string Room, string File)[] files = SourceFiles();
        var roomOfType = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string declaringRoom, string file) in files)
        {
            foreach (string type in DeclaredTypes(Code(file)))
            {
                roomOfType[type] = declaringRoom;
            }
        }

        string[] own = [.. files.Where(f => f.Room == room).Select(f => f.File)];
        Assert.True(own.Length >= 3, $"found only {own.Length} source files in src/GdTrainer/MLNet/{room}");
        var offending = new List<string>();
        foreach (string file in own)
        {
            string[] lines = Code(file).Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                foreach (Match word in Word().Matches(lines[i]))
                {
                    if (roomOfType.TryGetValue(word.Value, out string? target) && target != room && !AllowedRooms[room].Contains(target))
                    {
                        offending.Add($"{Path.GetFileName(file)}:{i + 1}: {word.Value} ({target})");
                    }
                }
            }
        }

        Assert.True(offending.Count == 0, $"The {room} room names types of rooms above it or beside it:\n" + string.Join("\n", offending));
    }

    private static string IntegrationRoot()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "GdTrainer.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException($"No GdTrainer.sln above {AppContext.BaseDirectory}.");
        }

        return Path.Combine(root, "src", "GdTrainer", "MLNet");
    }

    private static (string Room, string File)[] SourceFiles() =>
        [.. AllowedRooms.Keys.SelectMany(room => Directory.GetFiles(Path.Combine(IntegrationRoot(), room), "*.cs", SearchOption.AllDirectories).Select(file => (room, file)))];

    /// <summary>The file's code with comments and the text of string and character literals blanked out (line breaks kept).</summary>
    private static string Code(string file) => CommentOrLiteral().Replace(File.ReadAllText(file), m => Regex.Replace(m.Value, "[^\n]", " "));

    /// <summary>The names of the types a file declares at its top level (nested types are named through them).</summary>
    private static IEnumerable<string> DeclaredTypes(string code) => TopLevelDeclaration().Matches(code).Select(m => m.Groups["name"].Value);

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|""(?:[^""\\\n]|\\.)*""|'(?:[^'\\\n]|\\.)+'", RegexOptions.Singleline)]
    private static partial Regex CommentOrLiteral();

    [GeneratedRegex(@"^(?:(?:public|internal|static|sealed|abstract|partial|readonly|file)\s+)*(?:class|struct|interface|enum|record(?:\s+struct|\s+class)?)\s+(?<name>[A-Za-z_]\w*)", RegexOptions.Multiline)]
    private static partial Regex TopLevelDeclaration();

    [GeneratedRegex(@"\b[A-Za-z_]\w*\b")]
    private static partial Regex Word();
}
