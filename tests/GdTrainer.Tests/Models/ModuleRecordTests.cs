namespace GdTrainer.Tests.Models;

using System.Buffers.Binary;
using System.Security.Cryptography;
using GdTrainer.Models;
using GdTrainer.Models.Records;

/// <summary>
/// Each module type writes and reads its own <see cref="ModuleFormat"/> record through the tag registry
/// (<see cref="ModuleRecordTypes"/>): the bytes stay those of the documented layout, so files saved before keep loading.
/// </summary>
public sealed class ModuleRecordTests
{
    [Fact]
    public void EveryTypeWritesTheBytesOfTheDocumentedLayout()
    {
        var model = new Sequential(
            new Linear(2, 3, bias: false),
            new LinearModel(4),
            new Mlp(2, [3, 4], 1, Activation.Gelu, dropout: 0.25f),
            new Relu(),
            new LeakyRelu(-0.5f),
            new Gelu(tanhApproximation: true),
            new Tanh(),
            new Sigmoid(),
            new Dropout(0.125f),
            new Sequential(new Relu()));

        byte[] bytes = ModuleFormat.Save(model);

        // Written out from the layout on ModuleFormat's remarks: tag, then the type's settings.
        byte[] tree =
        [
            4, .. Int32(10),
            1, .. Int32(2), .. Int32(3), 0,
            2, .. Int32(4),
            3, .. Int32(2), .. Int32(2), .. Int32(3), .. Int32(4), .. Int32(1), 4, .. Single(0.25f),
            5,
            6, .. Single(-0.5f),
            7, 1,
            8,
            9,
            10, .. Single(0.125f),
            4, .. Int32(1), 5,
        ];
        Assert.Equal(tree, bytes[48..(48 + tree.Length)]);
        Assert.Equal("GDTSTATE"u8.ToArray(), bytes[(48 + tree.Length)..(48 + tree.Length + 8)]);
        Assert.Equal(model.ToString(), ModuleFormat.Load(bytes).ToString());
    }

    [Fact]
    public void EveryModuleTypeOfTheLibraryHasOneTagAndEveryTagOneReader()
    {
        Type[] moduleTypes = [.. typeof(Module).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Module)) && !t.IsAbstract)];
        Assert.NotEmpty(moduleTypes);
        foreach (Type type in moduleTypes)
        {
            Assert.True(ModuleRecordTypes.TryGetTag(type, out _), $"{type.Name} has no format record");
        }

        (byte Tag, Type Type)[] registered = [.. ModuleRecordTypes.Types];
        Assert.Equal(registered.Length, registered.Select(r => r.Tag).Distinct().Count());
        Assert.Equal(registered.Length, registered.Select(r => r.Type).Distinct().Count());
        Assert.All(registered, r => Assert.NotNull(ModuleRecordTypes.Find(r.Tag)));
        Assert.Null(ModuleRecordTypes.Find(0));
    }

    [Fact]
    public void AnUnknownTagSaysItMayComeFromANewerGdTrainer()
    {
        // A correctly signed version-1 record whose second child has a tag no type has (as a module type added later would).
        byte[] tree = [4, .. Int32(2), 5, 200];
        var header = new byte[16];
        "GDTM"u8.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), 1);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), tree.Length);

        var error = Assert.Throws<InvalidDataException>(() => ModuleFormat.Load([.. header, .. SHA256.HashData([.. header, .. tree]), .. tree]));

        Assert.Contains("at module '1', the module type tag 200", error.Message, StringComparison.Ordinal);
        Assert.Contains("saved by a newer GdTrainer", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Single(float value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        return bytes;
    }
}
