namespace GdTrainer.Models;

using System.Buffers.Binary;

/// <summary>
/// Reads the little-endian values of a saved record (<see cref="StateDict"/>, <see cref="ModuleFormat"/>, the ML.NET model
/// record), checking every size against the bytes that remain before it is used, so that a damaged record becomes the
/// caller's <see cref="InvalidDataException"/> (worded by <c>damaged</c>) instead of an exception from deep inside or a huge
/// allocation.
/// </summary>
internal ref struct RecordReader(ReadOnlySpan<byte> payload, Func<string, InvalidDataException> damaged)
{
    private readonly ReadOnlySpan<byte> _payload = payload;

    internal int Position { get; private set; }

    internal readonly int Remaining => _payload.Length - Position;

    internal readonly bool AtEnd => Position == _payload.Length;

    internal byte Byte(string what) => Bytes(1, what)[0];

    internal int Int32(string what) => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, what));

    internal long Int64(string what) => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8, what));

    internal float Single(string what) => BinaryPrimitives.ReadSingleLittleEndian(Bytes(4, what));

    /// <summary>A byte that must be 0 or 1.</summary>
    internal bool Flag(string what)
    {
        byte value = Byte(what);
        return value <= 1 ? value == 1 : throw damaged($"the {what} holds {value}, not 0 or 1");
    }

    /// <summary>A layer size: at least 1, and no more than the remaining bytes could hold as float parameters.</summary>
    internal int Size(string what)
    {
        int value = Int32(what);
        return value >= 1 && value <= Remaining / 4
            ? value
            : throw damaged($"the {what} is {value}; a size is at least 1 and no more than the remaining {Remaining} bytes can hold");
    }

    /// <summary>A count of items of <paramref name="itemBytes"/> bytes each, which must fit in the bytes that remain.</summary>
    internal int Count(int itemBytes, string what)
    {
        int count = Int32(what);
        return count >= 0 && (long)count * itemBytes <= Remaining
            ? count
            : throw damaged($"the {what} of {count} does not fit in the {Remaining} bytes that remain");
    }

    internal ReadOnlySpan<byte> Bytes(long count, string what)
    {
        if (count < 0 || count > Remaining)
        {
            throw damaged($"the {what} runs past the end of the payload");
        }

        ReadOnlySpan<byte> bytes = _payload.Slice(Position, (int)count);
        Position += (int)count;
        return bytes;
    }

    /// <summary>
    /// Reads exactly <paramref name="length"/> bytes in bounded chunks, so that a damaged length field cannot make the reader
    /// allocate gigabytes before the stream runs out; a short stream is <paramref name="truncated"/>'s exception.
    /// </summary>
    internal static byte[] ReadExactly(Stream stream, int length, Func<string, InvalidDataException> truncated)
    {
        const int Chunk = 1 << 20;
        if (length <= Chunk)
        {
            var small = new byte[length];
            int read = stream.ReadAtLeast(small, length, throwOnEndOfStream: false);
            return read == length ? small : throw truncated($"it ends {length - read} bytes before the end of the record");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[Chunk];
        int remaining = length;
        while (remaining > 0)
        {
            int wanted = Math.Min(Chunk, remaining);
            int read = stream.ReadAtLeast(chunk.AsSpan(0, wanted), wanted, throwOnEndOfStream: false);
            buffer.Write(chunk, 0, read);
            remaining -= read;
            if (read < wanted)
            {
                throw truncated($"it ends {remaining} bytes before the end of the record");
            }
        }

        return buffer.ToArray();
    }
}
