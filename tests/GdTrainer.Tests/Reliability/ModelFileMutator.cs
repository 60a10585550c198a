namespace GdTrainer.Tests.Reliability;

using System.IO.Compression;

/// <summary>The kinds of damage <see cref="ModelFileMutator"/> applies to a model file.</summary>
internal enum MutationKind
{
    /// <summary>One bit of the file flipped, wherever it is (zip headers, compressed data, directory).</summary>
    BitFlip,

    /// <summary>One byte of the file replaced by another value.</summary>
    ByteOverwrite,

    /// <summary>The file cut short at a random length (possibly empty).</summary>
    Truncation,

    /// <summary>A run of 1 to 64 bytes set to zero, as a damaged disk sector or a partial write leaves it.</summary>
    ZeroedRange,

    /// <summary>
    /// One bit flipped inside one entry's decompressed content and the archive written again, so that every
    /// CRC-32 in it is valid: damage that no zip-level check can see.
    /// </summary>
    ReZippedContentBitFlip,
}

/// <summary>A damaged copy of a model file and what was done to it.</summary>
internal sealed record Mutation(MutationKind Kind, string Description, byte[] Bytes, string? Entry);

/// <summary>
/// Seeded damage to a model file (a zip archive): raw bit flips, byte overwrites, truncations, zeroed ranges
/// and flips inside an entry's decompressed content re-zipped with valid CRC-32s.
/// </summary>
internal sealed class ModelFileMutator
{
    private readonly byte[] _original;
    private readonly (string Name, byte[] Content)[] _entries;

    internal ModelFileMutator(byte[] original)
    {
        _original = original;
        _entries = ReadEntries(original);
    }

    internal IReadOnlyList<(string Name, byte[] Content)> Entries => _entries;

    /// <summary>The names and decompressed contents of the entries of <paramref name="zip"/>, in order.</summary>
    internal static (string Name, byte[] Content)[] ReadEntries(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        var entries = new List<(string, byte[])>();
        foreach (ZipArchiveEntry entry in archive.Entries)
        {
            using Stream content = entry.Open();
            var copy = new MemoryStream();
            content.CopyTo(copy);
            entries.Add((entry.FullName, copy.ToArray()));
        }

        return [.. entries];
    }

    /// <summary>A zip archive holding <paramref name="entries"/> in order, with correct CRC-32s.</summary>
    internal static byte[] WriteEntries(IEnumerable<(string Name, byte[] Content)> entries, CompressionLevel level = CompressionLevel.Optimal)
    {
        var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, byte[] content) in entries)
            {
                using Stream stream = archive.CreateEntry(name, level).Open();
                stream.Write(content);
            }
        }

        return output.ToArray();
    }

    /// <summary>One damaged copy, its kind drawn with the weights 30% bit flip, 15% overwrite, 10% truncation, 15% zeroed range, 30% re-zipped flip.</summary>
    internal Mutation Mutate(Random random)
    {
        int draw = random.Next(100);
        MutationKind kind = draw switch
        {
            < 30 => MutationKind.BitFlip,
            < 45 => MutationKind.ByteOverwrite,
            < 55 => MutationKind.Truncation,
            < 70 => MutationKind.ZeroedRange,
            _ => MutationKind.ReZippedContentBitFlip,
        };
        byte[] bytes = (byte[])_original.Clone();
        switch (kind)
        {
            case MutationKind.BitFlip:
            {
                int offset = random.Next(bytes.Length);
                int bit = random.Next(8);
                bytes[offset] ^= (byte)(1 << bit);
                return new Mutation(kind, $"bit {bit} of byte {offset} flipped", bytes, null);
            }

            case MutationKind.ByteOverwrite:
            {
                int offset = random.Next(bytes.Length);
                byte value = (byte)((bytes[offset] + 1 + random.Next(255)) & 0xFF);
                bytes[offset] = value;
                return new Mutation(kind, $"byte {offset} set to 0x{value:x2}", bytes, null);
            }

            case MutationKind.Truncation:
            {
                int length = random.Next(bytes.Length);
                return new Mutation(kind, $"truncated to {length} of {bytes.Length} bytes", bytes[..length], null);
            }

            case MutationKind.ZeroedRange:
            {
                int offset = random.Next(bytes.Length);
                int count = Math.Min(1 + random.Next(64), bytes.Length - offset);
                bool changed = false;
                for (int i = offset; i < offset + count; i++)
                {
                    changed |= bytes[i] != 0;
                    bytes[i] = 0;
                }

                return new Mutation(kind, $"bytes {offset}..{offset + count - 1} zeroed{(changed ? string.Empty : " (were zero already)")}", bytes, null);
            }

            default:
            {
                int index;
                do
                {
                    index = random.Next(_entries.Length);
                }
                while (_entries[index].Content.Length == 0);

                (string name, byte[] content) = _entries[index];
                byte[] damaged = (byte[])content.Clone();
                int offset = random.Next(damaged.Length);
                int bit = random.Next(8);
                damaged[offset] ^= (byte)(1 << bit);
                var entries = ((string Name, byte[] Content)[])_entries.Clone();
                entries[index] = (name, damaged);
                return new Mutation(kind, $"bit {bit} of byte {offset} of entry '{name}' flipped, re-zipped", WriteEntries(entries), name);
            }
        }
    }

    /// <summary>
    /// The entries whose content in <paramref name="damaged"/> differs from the original, is missing or cannot be read;
    /// <c>"(archive structure)"</c> if the archive itself cannot be opened.
    /// </summary>
    internal IReadOnlyList<string> DamagedEntries(byte[] damaged)
    {
        var names = new List<string>();
        Dictionary<string, ZipArchiveEntry> found;
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(new MemoryStream(damaged), ZipArchiveMode.Read);
            found = archive.Entries.GroupBy(e => e.FullName).ToDictionary(g => g.Key, g => g.First());
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException or NotSupportedException or ArgumentException)
        {
            return ["(archive structure)"];
        }

        using (archive)
        {
            foreach ((string name, byte[] content) in _entries)
            {
                try
                {
                    if (!found.TryGetValue(name, out ZipArchiveEntry? entry))
                    {
                        names.Add(name + " (missing)");
                        continue;
                    }

                    using Stream stream = entry.Open();
                    var copy = new MemoryStream();
                    stream.CopyTo(copy);
                    if (!copy.ToArray().AsSpan().SequenceEqual(content))
                    {
                        names.Add(name);
                    }
                }
                catch (Exception exception) when (exception is InvalidDataException or IOException or NotSupportedException)
                {
                    names.Add(name + " (unreadable)");
                }
            }
        }

        return names;
    }
}
