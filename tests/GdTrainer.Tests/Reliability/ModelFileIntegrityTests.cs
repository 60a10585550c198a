namespace GdTrainer.Tests.Reliability;

using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using GdTrainer.MLNet;
using GdTrainer.Tests.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// The checksum manifest that <see cref="GradientDescentModel.Save"/> adds and <see cref="GradientDescentModel.Load"/>
/// verifies before ML.NET parses anything (issue 11, item 4), and the CRC-32 check that also covers files without it.
/// </summary>
public sealed class ModelFileIntegrityTests : IDisposable
{
    private const string Manifest = "GdTrainer/Manifest";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-integrity-" + Guid.NewGuid().ToString("N"));
    private readonly MLContext _mlContext = new(seed: 0);
    private readonly IDataView _data;
    private readonly ITransformer _model;

    public ModelFileIntegrityTests()
    {
        Directory.CreateDirectory(_directory);
        _data = RegressionData.Generate(80, [1.5f, -2f, 0.25f], 0.5f, 0.3f, seed: 4).ToDataView(_mlContext);
        _model = _mlContext.Transforms.NormalizeMinMax("Features")
            .Append(_mlContext.Regression.Trainers.GradientDescent(new Options { NumberOfEpochs = 3, BatchSize = 16, Seed = 2 }))
            .Fit(_data);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void SaveAddsAManifestWithTheSha256AndLengthOfEveryOtherEntryAndItsOwnSha256()
    {
        string path = SaveWithHelper("model.zip");
        (string Name, byte[] Content)[] entries = ModelFileMutator.ReadEntries(File.ReadAllBytes(path));
        byte[] manifest = entries.Single(e => e.Name == Manifest).Content;

        var expected = new StringBuilder("GdTrainer model manifest\nversion 1\n");
        foreach ((string name, byte[] content) in entries.Where(e => e.Name != Manifest))
        {
            expected.Append($"entry {Convert.ToHexStringLower(SHA256.HashData(content))} {content.Length} {name}\n");
        }

        string body = expected.ToString();
        string self = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        Assert.Equal(body + $"manifest-sha256 {self}\n", Encoding.UTF8.GetString(manifest));
        Assert.Contains(entries, e => e.Name == "Schema");
        Assert.Equal(entries.Length - 1, Encoding.UTF8.GetString(manifest).Split('\n').Count(l => l.StartsWith("entry ", StringComparison.Ordinal)));
    }

    [Fact]
    public void PlainMLNetLoadIgnoresTheManifestAndScoresIdentically()
    {
        string path = SaveWithHelper("model.zip");
        float[] expected = Scores(_model);

        ITransformer plain = new MLContext().Model.Load(path, out DataViewSchema schema);

        Assert.Equal(_data.Schema["Features"].Type, schema["Features"].Type);
        Assert.Equal(expected, Scores(plain));
        Assert.Equal(expected, Scores(GradientDescentModel.Load(new MLContext(), path, out _)));
    }

    [Fact]
    public void AFlippedBitInAnyEntryReZippedWithValidCrcsIsAnErrorNamingTheFileAndTheEntry()
    {
        string path = SaveWithHelper("model.zip");
        (string Name, byte[] Content)[] entries = ModelFileMutator.ReadEntries(File.ReadAllBytes(path));
        for (int i = 0; i < entries.Length; i++)
        {
            var damaged = ((string Name, byte[] Content)[])entries.Clone();
            byte[] content = (byte[])entries[i].Content.Clone();
            content[content.Length / 2] ^= 0x04;
            damaged[i] = (entries[i].Name, content);
            File.WriteAllBytes(path, ModelFileMutator.WriteEntries(damaged));

            var error = Assert.Throws<InvalidDataException>(() => GradientDescentModel.Load(_mlContext, path, out _));
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains($"'{entries[i].Name}'", error.Message, StringComparison.Ordinal);
            Assert.Contains(entries[i].Name == Manifest ? "manifest" : "SHA-256", error.Message, StringComparison.Ordinal);
            Assert.Contains("save the model again", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AnEntryAddedOrRemovedAfterSavingIsNamed()
    {
        string path = SaveWithHelper("model.zip");
        (string Name, byte[] Content)[] entries = ModelFileMutator.ReadEntries(File.ReadAllBytes(path));

        File.WriteAllBytes(path, ModelFileMutator.WriteEntries([.. entries, ("Extra/Injected.key", [1, 2, 3])]));
        var added = Assert.Throws<InvalidDataException>(() => GradientDescentModel.Load(_mlContext, path, out _));
        Assert.Contains("'Extra/Injected.key' is not listed in its checksum manifest", added.Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, ModelFileMutator.WriteEntries(entries.Where(e => e.Name != "Schema")));
        var removed = Assert.Throws<InvalidDataException>(() => GradientDescentModel.Load(_mlContext, path, out _));
        Assert.Contains("'Schema', listed in its checksum manifest, is missing", removed.Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, ModelFileMutator.WriteEntries([.. entries, entries[0]]));
        var duplicated = Assert.Throws<InvalidDataException>(() => GradientDescentModel.Load(_mlContext, path, out _));
        Assert.Contains($"two entries named '{entries[0].Name}'", duplicated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AManifestOfAnotherVersionIsRefusedNamingTheVersion()
    {
        string path = SaveWithHelper("model.zip");
        (string Name, byte[] Content)[] entries = ModelFileMutator.ReadEntries(File.ReadAllBytes(path));
        int index = Array.FindIndex(entries, e => e.Name == Manifest);
        string text = Encoding.UTF8.GetString(entries[index].Content);
        string body = text[..(text.LastIndexOf("manifest-sha256 ", StringComparison.Ordinal))].Replace("version 1\n", "version 2\n", StringComparison.Ordinal);
        string rewritten = body + $"manifest-sha256 {Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)))}\n";
        entries[index] = (Manifest, Encoding.UTF8.GetBytes(rewritten));
        File.WriteAllBytes(path, ModelFileMutator.WriteEntries(entries));

        var error = Assert.Throws<InvalidDataException>(() => GradientDescentModel.Load(_mlContext, path, out _));
        Assert.Contains("'version 2'", error.Message, StringComparison.Ordinal);
        Assert.Contains("manifest version 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileWithoutAManifestStillLoadsUnprotectedAndScoresIdentically()
    {
        string path = Path.Combine(_directory, "plain.zip");
        _mlContext.Model.Save(_model, _data.Schema, path);
        Assert.DoesNotContain(ModelFileMutator.ReadEntries(File.ReadAllBytes(path)), e => e.Name == Manifest);

        using (var stream = File.OpenRead(path))
        {
            Assert.False(GradientDescentModel.VerifyIntegrity(stream, path));
        }

        Assert.Equal(Scores(_model), Scores(GradientDescentModel.Load(new MLContext(), path, out _)));
    }

    [Fact]
    public void DamagedStoredBytesOfAFileWithoutAManifestAreCaughtByTheirCrc32BeforeMLNetReadsThem()
    {
        // Stored (uncompressed) entries, which ML.NET reads as well: a changed byte decompresses without complaint,
        // and .NET's zip reader does not check CRC-32, so only the check of GradientDescentModel.Load sees it.
        string path = Path.Combine(_directory, "stored.zip");
        _mlContext.Model.Save(_model, _data.Schema, path);
        (string Name, byte[] Content)[] entries = ModelFileMutator.ReadEntries(File.ReadAllBytes(path));
        byte[] stored = ModelFileMutator.WriteEntries(entries, CompressionLevel.NoCompression);
        File.WriteAllBytes(path, stored);
        Assert.Equal(Scores(_model), Scores(GradientDescentModel.Load(new MLContext(), path, out _)));

        (string name, byte[] content) = entries.First(e => e.Name.EndsWith("DefaultMap.idv", StringComparison.Ordinal));
        int offset = IndexOf(stored, content) + (content.Length / 2);
        stored[offset] ^= 0x01;
        File.WriteAllBytes(path, stored);
        using (var archive = new ZipArchive(new MemoryStream(stored)))
        {
            using Stream read = archive.GetEntry(name)!.Open();
            read.CopyTo(Stream.Null); // The premise: .NET reads the damaged entry without an error.
        }

        var error = Assert.Throws<InvalidDataException>(() => GradientDescentModel.Load(_mlContext, path, out _));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains($"entry '{name}' does not match its CRC-32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEntryThatDecompressesBeyondItsDeclaredLengthIsStoppedThere()
    {
        // A 64 MiB entry of zeros (about 64 KiB compressed) whose directory claims 100 bytes: the check reads 101 bytes, not 64 MiB.
        string path = Path.Combine(_directory, "bomb.zip");
        byte[] zip = ModelFileMutator.WriteEntries([("Schema", new byte[64 << 20])]);
        int directory = LastIndexOf(zip, [0x50, 0x4b, 0x01, 0x02]);
        BitConverter.GetBytes(100).CopyTo(zip, directory + 24); // The uncompressed size field of the central directory header.
        File.WriteAllBytes(path, zip);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => GradientDescentModel.Load(_mlContext, path, out _));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("'Schema'", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < (8 << 20), $"The check allocated {allocated} bytes for a 100-byte entry.");
    }

    private string SaveWithHelper(string name)
    {
        string path = Path.Combine(_directory, name);
        GradientDescentModel.Save(_mlContext, _model, _data.Schema, path);
        return path;
    }

    private float[] Scores(ITransformer model) => model.Transform(_data).GetColumn<float>("Score").ToArray();

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    private static int LastIndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().LastIndexOf(needle);
}
