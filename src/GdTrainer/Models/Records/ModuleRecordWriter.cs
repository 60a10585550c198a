namespace GdTrainer.Models.Records;

/// <summary>
/// Writes the format record of one module of a tree for <see cref="ModuleFormat"/>: its type tag (looked up in
/// <see cref="ModuleRecordTypes"/>), then the settings its <see cref="Module.WriteRecord"/> writes, children included through
/// <see cref="WriteChild"/>. Values are little-endian, as <see cref="BinaryWriter"/> writes them.
/// </summary>
internal sealed class ModuleRecordWriter
{
    private readonly BinaryWriter _output;
    private readonly Dictionary<Module, string> _seen;
    private readonly int _depth;

    /// <summary>A writer for the root module of a tree.</summary>
    internal ModuleRecordWriter(BinaryWriter output)
        : this(output, new Dictionary<Module, string>(ReferenceEqualityComparer.Instance), path: string.Empty, depth: 0)
    {
    }

    private ModuleRecordWriter(BinaryWriter output, Dictionary<Module, string> seen, string path, int depth)
    {
        _output = output;
        _seen = seen;
        Path = path;
        _depth = depth;
    }

    /// <summary>The qualified name of the module being written (<c>layers.2</c>); empty for the root.</summary>
    internal string Path { get; }

    private string Where => Path.Length == 0 ? "the root module" : $"'{Path}'";

    /// <summary>Writes an int32.</summary>
    internal void Write(int value) => _output.Write(value);

    /// <summary>Writes a float32.</summary>
    internal void Write(float value) => _output.Write(value);

    /// <summary>Writes a byte.</summary>
    internal void Write(byte value) => _output.Write(value);

    /// <summary>Writes a flag as one byte, 1 or 0.</summary>
    internal void Write(bool value) => _output.Write(value);

    /// <summary>Writes the record of <paramref name="child"/>, registered under <paramref name="name"/>, at this point of the record.</summary>
    /// <exception cref="NotSupportedException">The child's tree holds a module the format cannot describe; see <see cref="WriteModule"/>.</exception>
    internal void WriteChild(string name, Module child) =>
        new ModuleRecordWriter(_output, _seen, Path.Length == 0 ? name : $"{Path}.{name}", _depth + 1).WriteModule(child);

    /// <summary>Writes <paramref name="module"/>'s type tag and settings (its children's records included).</summary>
    /// <exception cref="NotSupportedException">
    /// The module's type has no format record (the message names its full type name and path and lists the types that have one),
    /// the same instance appears twice in the tree, or the tree is nested deeper than <see cref="ModuleFormat.MaximumDepth"/> levels.
    /// </exception>
    internal void WriteModule(Module module)
    {
        if (_depth > ModuleFormat.MaximumDepth)
        {
            throw new NotSupportedException(
                $"The module at {Where} is nested more than {ModuleFormat.MaximumDepth} levels deep; ModuleFormat saves at most {ModuleFormat.MaximumDepth} levels.");
        }

        if (!_seen.TryAdd(module, Path))
        {
            throw new NotSupportedException(
                $"The same {module.GetType().Name} instance appears at {Where} and at '{_seen[module]}' (shared parameters), which ModuleFormat " +
                "cannot describe: a loaded model would have two independent copies. Save the parameters with Module.SaveParameters instead.");
        }

        if (!ModuleRecordTypes.TryGetTag(module.GetType(), out byte tag))
        {
            throw new NotSupportedException(
                $"ModuleFormat cannot describe the module at {Where} of type {module.GetType().FullName}: it saves only the " +
                $"library's own module types ({ModuleRecordTypes.Names}). Build the model from those types, or save its parameters with " +
                "Module.SaveParameters and rebuild the module in code before loading them.");
        }

        _output.Write(tag);
        module.WriteRecord(this);
    }
}
