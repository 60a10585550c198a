namespace GdTrainer.Models.Records;

/// <summary>
/// Reads the format record of one module of a tree for <see cref="ModuleFormat"/>: its type tag, then, through the reader that
/// <see cref="ModuleRecordTypes"/> registers for the tag, the module's settings and its children's records. Every value is checked
/// against the bytes that remain, and every failure is an <see cref="InvalidDataException"/> naming the module's path.
/// </summary>
internal ref struct ModuleRecordReader
{
    private readonly int _depth;
    private RecordReader _bytes;

    /// <summary>A reader for the root module of a tree, from the start of <paramref name="bytes"/>.</summary>
    internal ModuleRecordReader(RecordReader bytes)
        : this(bytes, path: string.Empty, depth: 0)
    {
    }

    private ModuleRecordReader(RecordReader bytes, string path, int depth)
    {
        _bytes = bytes;
        Path = path;
        _depth = depth;
    }

    /// <summary>The qualified name of the module being read (<c>0.1</c>); empty for the root.</summary>
    internal readonly string Path { get; }

    /// <summary>The module being read, for messages: <c>the root module</c> or <c>module '0.1'</c>.</summary>
    internal readonly string Where => Path.Length == 0 ? "the root module" : $"module '{Path}'";

    /// <summary>The bytes not yet read.</summary>
    internal readonly int Remaining => _bytes.Remaining;

    /// <summary>The bytes read so far, from the start of the tree.</summary>
    internal readonly int Position => _bytes.Position;

    /// <summary>A byte; <paramref name="what"/> names it in the message (<c>activation</c>, which becomes "activation of module '2'").</summary>
    internal byte Byte(string what) => _bytes.Byte($"{what} of {Where}");

    /// <summary>An int32.</summary>
    internal int Int32(string what) => _bytes.Int32($"{what} of {Where}");

    /// <summary>A float32.</summary>
    internal float Single(string what) => _bytes.Single($"{what} of {Where}");

    /// <summary>A byte that must be 0 or 1.</summary>
    internal bool Flag(string what) => _bytes.Flag($"{what} of {Where}");

    /// <summary>A layer size: at least 1, and no more than the remaining bytes could hold as float parameters.</summary>
    internal int Size(string what) => _bytes.Size($"{what} of {Where}");

    /// <summary>The error for a record the checksum accepted but that makes no sense (a writer bug or a forged record).</summary>
    internal static InvalidDataException Damaged(string detail) => ModuleFormat.Damaged(detail);

    /// <summary>Reads the module's type tag and, through the reader registered for it, its settings and children.</summary>
    /// <exception cref="InvalidDataException">The tag is unknown, the tree is nested too deep, or a setting is damaged.</exception>
    internal ModuleRecord ReadModule()
    {
        if (_depth > ModuleFormat.MaximumDepth)
        {
            throw Damaged($"{Where} is nested more than {ModuleFormat.MaximumDepth} levels deep");
        }

        byte tag = Byte("type tag");
        ModuleRecordTypes.Reader read = ModuleRecordTypes.Find(tag)
            ?? throw new InvalidDataException(
                $"The saved model holds, at {Where}, the module type tag {tag}, which this GdTrainer does not define: the model was saved by a " +
                "newer GdTrainer with a module type this one lacks (load it with that version or a later one), or the file is damaged " +
                "(restore it from a good copy).");
        return read(ref this);
    }

    /// <summary>Reads the record of the child registered under <paramref name="name"/>, which follows at this point.</summary>
    internal ModuleRecord ReadChild(string name)
    {
        var child = new ModuleRecordReader(_bytes, Path.Length == 0 ? name : $"{Path}.{name}", _depth + 1);
        ModuleRecord record = child.ReadModule();
        _bytes = child._bytes; // the child read on a copy: continue after its bytes
        return record;
    }
}
