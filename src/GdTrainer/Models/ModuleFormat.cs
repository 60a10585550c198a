namespace GdTrainer.Models;

using System.Buffers.Binary;
using System.Security.Cryptography;
using GdTrainer.Models.Records;

/// <summary>
/// Saves a module's architecture together with its parameters, and rebuilds it from those bytes in another
/// process without the code that built it (like PyTorch's <c>torch.save(model)</c> of a whole model, but limited
/// to module types the format can describe, and with no code execution on load).
/// </summary>
/// <remarks>
/// <para>
/// Describable types (format version 1): <see cref="Linear"/> (inputs, outputs, bias or not), <see cref="LinearModel"/>
/// (input size), <see cref="Mlp"/> (inputs, hidden widths, outputs, activation, dropout probability),
/// <see cref="Sequential"/> (its children, recursively), <see cref="Relu"/>, <see cref="LeakyRelu"/> (negative slope),
/// <see cref="Gelu"/> (tanh approximation or not), <see cref="Tanh"/>, <see cref="Sigmoid"/>, <see cref="Dropout"/>
/// (probability) and <see cref="Silu"/>. Anything else, such as a user's own <see cref="Module"/> subclass, is rejected when
/// saving. Each type writes and reads its own record: its settings, after its type tag below.
/// </para>
/// <para>Layout, version 1 (all integers and floats little-endian):</para>
/// <list type="number">
/// <item><description>magic: the 4 ASCII bytes <c>GDTM</c>;</description></item>
/// <item><description>format version: int32, 1;</description></item>
/// <item><description>payload length in bytes: int64;</description></item>
/// <item><description>SHA-256 (32 bytes) of the 16 header bytes above followed by the payload;</description></item>
/// <item><description>payload: the module tree, then the parameters. The tree is one record per module, parents before
/// their children: a type tag (byte) and the type's settings: <see cref="Linear"/> (1): inputs int32, outputs int32, bias
/// byte 0/1; <see cref="LinearModel"/> (2): input size int32; <see cref="Mlp"/> (3): inputs int32, hidden count int32,
/// each hidden width int32, outputs int32, activation byte (the <see cref="Activation"/> value), dropout float32;
/// <see cref="Sequential"/> (4): child count int32, then each child's record; <see cref="Relu"/> (5); <see cref="LeakyRelu"/>
/// (6): negative slope float32; <see cref="Gelu"/> (7): tanh approximation byte 0/1; <see cref="Tanh"/> (8);
/// <see cref="Sigmoid"/> (9); <see cref="Dropout"/> (10): probability float32; <see cref="Silu"/> (11). The parameters (and
/// buffers, if any module has them) follow as one record of <see cref="StateDict.Save"/>, keyed as <see cref="Module.GetStateDict"/>,
/// and end the payload.</description></item>
/// </list>
/// <para>
/// Loading reads the whole record and verifies the checksum before it parses anything, checks every size against
/// the bytes that remain before allocating for it, and reports any damage (bad magic, truncation, checksum mismatch,
/// unknown tag, impossible setting, parameters that do not fit) as <see cref="InvalidDataException"/>. A record of a
/// later format version is reported as written by a newer GdTrainer. The loaded module is in evaluation mode
/// (<see cref="Module.Eval"/>) whatever its mode when saved: call <see cref="Module.Train"/> to train it further.
/// Dropout masks after loading come from freshly seeded generators (a generator's state is not saved).
/// </para>
/// </remarks>
public static class ModuleFormat
{
    /// <summary>The format version that <see cref="Save(Module)"/> writes and the highest that <see cref="Load(ReadOnlySpan{byte})"/> reads.</summary>
    public const int FormatVersion = 1;

    private const int HeaderLength = 4 + 4 + 8;
    private const int ChecksumLength = 32;
    private const int PrefixLength = HeaderLength + ChecksumLength;

    /// <summary>Deeper nesting than this is rejected on save and on load, so a forged record cannot exhaust the stack.</summary>
    internal const int MaximumDepth = 64;

    private static readonly byte[] s_magic = "GDTM"u8.ToArray();

    /// <summary>The module's architecture and parameters in the format described on <see cref="ModuleFormat"/>.</summary>
    /// <param name="module">A module built only from the describable types.</param>
    /// <returns>The saved record.</returns>
    /// <exception cref="NotSupportedException">
    /// The tree holds a module the format cannot describe (the message names its type's full name and its path, such as
    /// <c>layers.2</c>, and lists the supported types), the same module instance twice, or is nested deeper than 64 levels.
    /// </exception>
    public static byte[] Save(Module module)
    {
        using var stream = new MemoryStream();
        Save(module, stream);
        return stream.ToArray();
    }

    /// <summary>Writes the module's architecture and parameters to <paramref name="stream"/> (left open), as <see cref="Save(Module)"/>.</summary>
    /// <param name="module">A module built only from the describable types.</param>
    /// <param name="stream">A writable stream.</param>
    /// <exception cref="NotSupportedException">The tree holds a module the format cannot describe; see <see cref="Save(Module)"/>.</exception>
    /// <exception cref="ArgumentException">The stream is not writable.</exception>
    public static void Save(Module module, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream to save the model to is not writable.", nameof(stream));
        }

        // Describe first, so that nothing is written for a module that cannot be saved.
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            new ModuleRecordWriter(writer).WriteModule(module);
        }

        module.GetStateDict().Save(payload);
        byte[] payloadBytes = payload.ToArray();

        var header = new byte[HeaderLength];
        s_magic.CopyTo(header, 0);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), payloadBytes.Length);
        stream.Write(header);
        stream.Write(Checksum(header, payloadBytes));
        stream.Write(payloadBytes);
    }

    /// <summary>Rebuilds a module saved by <see cref="Save(Module)"/>; the bytes must hold exactly one record.</summary>
    /// <param name="bytes">The saved record.</param>
    /// <returns>A new module of the saved architecture with the saved parameters, in evaluation mode.</returns>
    /// <exception cref="InvalidDataException">
    /// The bytes are not a saved model (bad magic), were written by a newer GdTrainer, are truncated, damaged (checksum
    /// mismatch, unknown type tag, impossible size or setting, parameters that do not fit), or continue after the record;
    /// the message says which.
    /// </exception>
    public static Module Load(ReadOnlySpan<byte> bytes)
    {
        long payloadLength = ReadHeader(bytes[..Math.Min(bytes.Length, HeaderLength)], bytes.Length);
        long available = bytes.Length - (long)PrefixLength;
        if (available < payloadLength)
        {
            throw Truncated($"it ends {payloadLength - Math.Max(available, 0)} bytes before the end of the record");
        }

        if (available > payloadLength)
        {
            throw Damaged($"{available - payloadLength} bytes follow the end of the record (or its length field is damaged)");
        }

        return Parse(bytes[..HeaderLength], bytes.Slice(HeaderLength, ChecksumLength), bytes[PrefixLength..]);
    }

    /// <summary>
    /// Rebuilds a module saved by <see cref="Save(Module, Stream)"/> from <paramref name="stream"/> (left open, positioned
    /// just after the record). The whole record is read and its checksum verified before anything is parsed.
    /// </summary>
    /// <param name="stream">A readable stream positioned at the record.</param>
    /// <returns>A new module of the saved architecture with the saved parameters, in evaluation mode.</returns>
    /// <exception cref="InvalidDataException">The stream does not hold a valid record; see <see cref="Load(ReadOnlySpan{byte})"/>.</exception>
    /// <exception cref="ArgumentException">The stream is not readable.</exception>
    public static Module Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream to load the model from is not readable.", nameof(stream));
        }

        var header = new byte[HeaderLength];
        int headerRead = stream.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false);
        long payloadLength = ReadHeader(header.AsSpan(0, headerRead), headerRead);
        byte[] rest = RecordReader.ReadExactly(stream, ChecksumLength + (int)payloadLength, Truncated);
        return Parse(header, rest.AsSpan(0, ChecksumLength), rest.AsSpan(ChecksumLength));
    }

    /// <summary>Checks magic and version in the available header bytes and returns the payload length.</summary>
    private static long ReadHeader(ReadOnlySpan<byte> header, long totalLength)
    {
        int magicBytes = Math.Min(header.Length, s_magic.Length);
        if (!header[..magicBytes].SequenceEqual(s_magic.AsSpan(0, magicBytes)))
        {
            throw new InvalidDataException(
                "The data is not a saved GdTrainer model: it does not start with the magic bytes 'GDTM' (it may be another " +
                "file, such as parameters saved with Module.SaveParameters, or be positioned elsewhere). Save models with ModuleFormat.Save.");
        }

        if (header.Length < 8)
        {
            throw Truncated($"it has {totalLength} bytes, fewer than the {HeaderLength}-byte header");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        if (version > FormatVersion)
        {
            throw new InvalidDataException(
                $"The saved model was written by a newer GdTrainer (format version {version}; this build reads up to {FormatVersion}). " +
                "Load it with that GdTrainer version or a later one (or the data is damaged).");
        }

        if (version < 1)
        {
            throw Damaged($"the format version field holds {version}, which no GdTrainer writes");
        }

        if (header.Length < HeaderLength)
        {
            throw Truncated($"it has {totalLength} bytes, fewer than the {HeaderLength}-byte header");
        }

        long payloadLength = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        if (payloadLength < 1 || payloadLength > Array.MaxLength - PrefixLength)
        {
            throw Damaged($"the header states an impossible payload length of {payloadLength} bytes");
        }

        return payloadLength;
    }

    private static Module Parse(ReadOnlySpan<byte> header, ReadOnlySpan<byte> checksum, ReadOnlySpan<byte> payload)
    {
        if (!Checksum(header, payload).AsSpan().SequenceEqual(checksum))
        {
            throw Damaged("the SHA-256 checksum does not match the contents (checksum mismatch)");
        }

        // The checksum matched, so what follows fails only on a writer bug or a forged record; it still fails clearly.
        var reader = new ModuleRecordReader(new RecordReader(payload, Damaged));
        ModuleRecord record = reader.ReadModule();
        ReadOnlySpan<byte> parameters = payload[reader.Position..];
        double parameterCount = record.ParameterCount;
        if (parameterCount > parameters.Length / 4)
        {
            throw Damaged($"the architecture has {parameterCount} parameters, but only {parameters.Length} bytes remain for their values");
        }

        Module module;
        try
        {
            module = record.Build();
        }
        catch (ArgumentException exception)
        {
            throw Damaged($"a module setting is invalid ({exception.Message})");
        }

        using (var stream = new MemoryStream(parameters.ToArray(), writable: false))
        {
            StateDict state;
            try
            {
                state = StateDict.Load(stream);
            }
            catch (InvalidDataException exception)
            {
                throw Damaged($"its parameter record is invalid ({exception.Message})");
            }

            if (stream.Position != stream.Length)
            {
                throw Damaged($"{stream.Length - stream.Position} bytes follow the parameter record");
            }

            module.LoadStateDict(state); // InvalidDataException naming every missing, unexpected or misshapen key.
        }

        module.Eval();
        return module;
    }

    private static byte[] Checksum(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(header);
        hash.AppendData(payload);
        return hash.GetHashAndReset();
    }

    private static InvalidDataException Truncated(string detail) =>
        new($"The saved model is truncated: {detail}. The file was cut short (an interrupted copy or save); restore it from a good copy.");

    /// <summary>The error for a record that is damaged (or forged): what every module's record reader throws.</summary>
    internal static InvalidDataException Damaged(string detail) =>
        new($"The saved model is damaged: {detail}. Restore the file from a good copy.");
}
