namespace GdTrainer.Models;

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using GdTrainer.Autograd;

/// <summary>
/// Named parameter and buffer values in a fixed order (PyTorch's <c>state_dict</c>): what
/// <see cref="Module.GetStateDict"/> returns and <see cref="Module.LoadStateDict"/> restores, and what
/// <see cref="Save"/> / <see cref="Load"/> write to and read from a stream. The tensors are private copies
/// that do not require grad.
/// </summary>
/// <remarks>
/// <para>Stream format, version 1 (all integers and floats little-endian):</para>
/// <list type="number">
/// <item><description>magic: the 8 ASCII bytes <c>GDTSTATE</c>;</description></item>
/// <item><description>format version: int32, 1;</description></item>
/// <item><description>payload length in bytes: int64;</description></item>
/// <item><description>payload: entry count (int32), then per entry: key length in bytes (int32), the key in UTF-8,
/// element type (byte, 1 = float32), rank (byte, 0 to 2), each dimension (int32), the values (float32, row-major);</description></item>
/// <item><description>SHA-256 (32 bytes) of everything before it (magic, version, length and payload).</description></item>
/// </list>
/// <para>
/// <see cref="Load"/> reads the whole record and verifies the checksum before it parses a single entry, so a
/// truncated or bit-flipped stream is reported and nothing is returned (and nothing loaded into a module).
/// </para>
/// </remarks>
public sealed class StateDict
{
    /// <summary>The format version that <see cref="Save"/> writes and <see cref="Load"/> reads.</summary>
    public const int FormatVersion = 1;

    private const byte Float32Type = 1;
    private const int HeaderLength = 8 + 4 + 8;
    private const int ChecksumLength = 32;
    private static readonly byte[] s_magic = "GDTSTATE"u8.ToArray();

    private readonly string[] _keys;
    private readonly Dictionary<string, Tensor<float>> _values;

    /// <summary>Creates a state dictionary holding copies of <paramref name="entries"/>, in the order given.</summary>
    /// <param name="entries">Keys (not empty, unique) with tensors of rank 0 to 2.</param>
    /// <exception cref="ArgumentException">A key is empty or repeated, or a tensor is null.</exception>
    public StateDict(IEnumerable<KeyValuePair<string, Tensor<float>>> entries)
        : this(entries, copy: true)
    {
    }

    private StateDict(IEnumerable<KeyValuePair<string, Tensor<float>>> entries, bool copy)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var keys = new List<string>();
        _values = new Dictionary<string, Tensor<float>>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, Tensor<float>> entry in entries)
        {
            if (string.IsNullOrEmpty(entry.Key))
            {
                throw new ArgumentException("A state dictionary key must not be empty.", nameof(entries));
            }

            if (entry.Value is null)
            {
                throw new ArgumentException($"The state dictionary entry '{entry.Key}' has no tensor.", nameof(entries));
            }

            if (!_values.TryAdd(entry.Key, copy ? Tensor.From<float>(entry.Value.Data, entry.Value.Shape) : entry.Value))
            {
                throw new ArgumentException($"The state dictionary key '{entry.Key}' appears twice.", nameof(entries));
            }

            keys.Add(entry.Key);
        }

        _keys = [.. keys];
    }

    /// <summary>The keys in their fixed order.</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>The number of entries.</summary>
    public int Count => _keys.Length;

    /// <summary>The tensor stored under <paramref name="key"/> (writable: changing it changes what a later load copies).</summary>
    /// <exception cref="KeyNotFoundException">No entry has that key; the message lists the keys.</exception>
    public Tensor<float> this[string key] => _values.TryGetValue(key, out Tensor<float>? value)
        ? value
        : throw new KeyNotFoundException($"The state dictionary has no key '{key}'; its keys are [{string.Join(", ", _keys)}].");

    /// <summary>Gets the tensor stored under <paramref name="key"/>, if any.</summary>
    /// <returns>Whether the key was found.</returns>
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Tensor<float>? value) =>
        _values.TryGetValue(key, out value);

    /// <summary>
    /// Writes the entries to <paramref name="stream"/> in the checksummed format described on <see cref="StateDict"/>.
    /// The stream is left open.
    /// </summary>
    /// <exception cref="ArgumentException">The stream is not writable.</exception>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream to save parameters to is not writable.", nameof(stream));
        }

        byte[] payload = EncodePayload();
        var header = new byte[HeaderLength];
        s_magic.CopyTo(header, 0);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(12), payload.Length);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(header);
        hash.AppendData(payload);
        stream.Write(header);
        stream.Write(payload);
        stream.Write(hash.GetHashAndReset());
    }

    /// <summary>
    /// Reads a state dictionary written by <see cref="Save"/>. The whole record is read and its checksum verified
    /// before any entry is parsed. The stream is left open, positioned just after the record.
    /// </summary>
    /// <exception cref="ArgumentException">The stream is not readable.</exception>
    /// <exception cref="InvalidDataException">
    /// The stream does not start with the format's magic, has an unsupported format version, ends before the
    /// record does (truncated), or its checksum does not match (damaged); the message says which.
    /// </exception>
    public static StateDict Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream to load parameters from is not readable.", nameof(stream));
        }

        var header = new byte[HeaderLength];
        int headerRead = stream.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false);
        if (headerRead < s_magic.Length || !header.AsSpan(0, s_magic.Length).SequenceEqual(s_magic))
        {
            throw new InvalidDataException(
                "The stream does not hold saved GdTrainer parameters: it does not start with the magic bytes 'GDTSTATE' " +
                "(it may be another file, or be positioned elsewhere). Save parameters with Module.SaveParameters.");
        }

        if (headerRead < HeaderLength)
        {
            throw Truncated($"the header has {headerRead} of {HeaderLength} bytes");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        if (version != FormatVersion)
        {
            throw new InvalidDataException(
                $"The saved parameters use format version {version}, but this GdTrainer reads version {FormatVersion} only. " +
                "Load them with the GdTrainer version that wrote them (or the stream is damaged).");
        }

        long payloadLength = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(12));
        if (payloadLength < 4 || payloadLength > Array.MaxLength - ChecksumLength)
        {
            throw Damaged($"the header states an impossible payload length of {payloadLength} bytes");
        }

        byte[] record = RecordReader.ReadExactly(stream, (int)payloadLength + ChecksumLength, Truncated);
        ReadOnlySpan<byte> payload = record.AsSpan(0, (int)payloadLength);
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            hash.AppendData(header);
            hash.AppendData(payload);
            if (!hash.GetHashAndReset().AsSpan().SequenceEqual(record.AsSpan((int)payloadLength)))
            {
                throw Damaged("the SHA-256 checksum does not match the contents (checksum mismatch)");
            }
        }

        return new StateDict(DecodePayload(payload), copy: false);
    }

    /// <summary>A state dictionary over tensors the caller created for it and gives up (no copy).</summary>
    internal static StateDict FromOwned(IEnumerable<KeyValuePair<string, Tensor<float>>> entries) => new(entries, copy: false);

    private byte[] EncodePayload()
    {
        long length = 4;
        foreach (string key in _keys)
        {
            Tensor<float> value = _values[key];
            length += 4 + Encoding.UTF8.GetByteCount(key) + 2 + (4L * value.Rank) + (4L * value.Length);
        }

        if (length > Array.MaxLength - HeaderLength - ChecksumLength)
        {
            throw new InvalidOperationException($"The parameters take {length} bytes, more than one saved record can hold ({Array.MaxLength} bytes).");
        }

        var payload = new byte[length];
        Span<byte> span = payload;
        int position = 0;
        BinaryPrimitives.WriteInt32LittleEndian(span[position..], _keys.Length);
        position += 4;
        foreach (string key in _keys)
        {
            Tensor<float> value = _values[key];
            int keyLength = Encoding.UTF8.GetBytes(key, span[(position + 4)..]);
            BinaryPrimitives.WriteInt32LittleEndian(span[position..], keyLength);
            position += 4 + keyLength;
            span[position++] = Float32Type;
            span[position++] = (byte)value.Rank;
            foreach (int dimension in value.Shape)
            {
                BinaryPrimitives.WriteInt32LittleEndian(span[position..], dimension);
                position += 4;
            }

            foreach (float element in value.Data)
            {
                BinaryPrimitives.WriteSingleLittleEndian(span[position..], element);
                position += 4;
            }
        }

        return payload;
    }

    private static List<KeyValuePair<string, Tensor<float>>> DecodePayload(ReadOnlySpan<byte> payload)
    {
        // The checksum matched, so a failure here means a writer bug or a deliberately forged record; still fail clearly.
        var reader = new RecordReader(payload, Damaged);
        int count = reader.Int32("entry count");
        var entries = new List<KeyValuePair<string, Tensor<float>>>();
        for (int e = 0; e < count; e++)
        {
            int keyLength = reader.Int32("key length");
            string key = Encoding.UTF8.GetString(reader.Bytes(keyLength, "key"));
            byte type = reader.Byte("element type");
            if (type != Float32Type)
            {
                throw Damaged($"entry '{key}' has element type {type}; version {FormatVersion} stores float32 (type {Float32Type}) only");
            }

            int rank = reader.Byte("rank");
            if (rank > 2)
            {
                throw Damaged($"entry '{key}' has rank {rank}; tensors have rank 0 to 2");
            }

            var shape = new int[rank];
            long elements = 1;
            for (int d = 0; d < rank; d++)
            {
                shape[d] = reader.Int32("dimension");
                if (shape[d] < 0)
                {
                    throw Damaged($"entry '{key}' has a negative dimension {shape[d]}");
                }

                elements *= shape[d];
            }

            ReadOnlySpan<byte> bytes = reader.Bytes(elements * 4, $"values of '{key}'");
            var values = new float[elements];
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(values);
            }
            else
            {
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                }
            }

            entries.Add(new(key, Tensor.Wrap(values, shape)));
        }

        if (!reader.AtEnd)
        {
            throw Damaged("the payload has bytes after its last entry");
        }

        return entries;
    }

    private static InvalidDataException Truncated(string detail) =>
        new($"The saved parameters are truncated: {detail}. The file was cut short (an interrupted copy or save); no parameter was changed.");

    private static InvalidDataException Damaged(string detail) =>
        new($"The saved parameters are damaged: {detail}. No parameter was changed; restore the file from a good copy.");
}
