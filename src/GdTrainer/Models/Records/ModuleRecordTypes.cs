namespace GdTrainer.Models.Records;

/// <summary>
/// The module types <see cref="ModuleFormat"/> describes, each with its type tag and the reader of its record: the one list from
/// which a saved tag is read back into a module. Each type writes its own settings (<see cref="Module.WriteRecord"/>) and reads
/// them back (a static <c>ReadRecord</c> beside it), so a new layer type adds its two methods in its own file and one line here.
/// </summary>
/// <remarks>
/// A tag, once written to a file, is never reused for another type nor dropped: files saved by earlier versions must keep loading.
/// </remarks>
internal static class ModuleRecordTypes
{
    private static readonly Entry[] s_entries =
    [
        new(1, typeof(Linear), Linear.ReadRecord),
        new(2, typeof(LinearModel), LinearModel.ReadRecord),
        new(3, typeof(Mlp), Mlp.ReadRecord),
        new(4, typeof(Sequential), Sequential.ReadRecord),
        new(5, typeof(Relu), Relu.ReadRecord),
        new(6, typeof(LeakyRelu), LeakyRelu.ReadRecord),
        new(7, typeof(Gelu), Gelu.ReadRecord),
        new(8, typeof(Tanh), Tanh.ReadRecord),
        new(9, typeof(Sigmoid), Sigmoid.ReadRecord),
        new(10, typeof(Dropout), Dropout.ReadRecord),
        new(11, typeof(Silu), Silu.ReadRecord),
    ];

    private static readonly Dictionary<byte, Entry> s_byTag = Index(s_entries);
    private static readonly Dictionary<Type, byte> s_tags = s_entries.ToDictionary(e => e.Type, e => e.Tag);

    /// <summary>Reads the settings (and children) of a module whose type tag was just read.</summary>
    internal delegate ModuleRecord Reader(ref ModuleRecordReader reader);

    /// <summary>The describable types' names in tag order, for messages: <c>Linear, LinearModel, Mlp, ...</c>.</summary>
    internal static string Names { get; } = string.Join(", ", s_entries.Select(e => e.Type.Name));

    /// <summary>The registered types with their tags, in tag order.</summary>
    internal static IEnumerable<(byte Tag, Type Type)> Types => s_entries.Select(e => (e.Tag, e.Type));

    /// <summary>The tag of <paramref name="type"/>; false when the type (exactly this type, not a base) has no record.</summary>
    internal static bool TryGetTag(Type type, out byte tag) => s_tags.TryGetValue(type, out tag);

    /// <summary>The reader registered for <paramref name="tag"/>, or null for a tag no type has.</summary>
    internal static Reader? Find(byte tag) => s_byTag.TryGetValue(tag, out Entry? entry) ? entry.Read : null;

    private static Dictionary<byte, Entry> Index(Entry[] entries)
    {
        var byTag = new Dictionary<byte, Entry>();
        foreach (Entry entry in entries)
        {
            if (!byTag.TryAdd(entry.Tag, entry))
            {
                throw new InvalidOperationException($"The format tag {entry.Tag} is registered for both {byTag[entry.Tag].Type.Name} and {entry.Type.Name}.");
            }
        }

        return byTag;
    }

    private sealed record Entry(byte Tag, Type Type, Reader Read);
}
