namespace GdTrainer.MLNet;

using System.Globalization;
using System.IO.Compression;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;

/// <summary>
/// Saving and loading pipelines that contain a <see cref="GradientDescentRegressionTransformer"/> with
/// clear errors and integrity checks. <c>mlContext.Model.Save</c> and <c>mlContext.Model.Load</c> work too;
/// these helpers add an all-or-nothing save (no half-written file on failure), a manifest of checksums that
/// protects every byte ML.NET stores, errors that name the file, and a <see cref="Load"/> that verifies the
/// file before ML.NET parses any of it and gives back the fast <see cref="GradientDescentRegressionTransformer"/>
/// instead of the slower built-in stand-in that <c>mlContext.Model.Load</c> returns.
/// </summary>
/// <remarks>
/// <para>
/// An ML.NET model file is a zip archive. <see cref="Save"/> adds one entry, <c>GdTrainer/Manifest</c>, a UTF-8
/// text that records a format version and the SHA-256 and length of every other entry, and its own SHA-256.
/// ML.NET only opens the entries it knows by name, so <c>mlContext.Model.Load</c> ignores the manifest and still
/// loads the file.
/// </para>
/// <para>
/// <see cref="Load"/> opens the archive with <see cref="ZipArchive"/> first, decompresses every entry as a stream
/// (never more than the length the archive declares for it, so a damaged or hostile length cannot make it read
/// without bound; no entry is held in memory), checks each entry's CRC-32 against the archive's directory (which
/// .NET's zip reader does not do) and, when the manifest is there, the entry set, the lengths and the SHA-256 of
/// every entry. Only a file that passes is handed to ML.NET, from the same open stream. This keeps damaged bytes
/// away from ML.NET's binary parsers, some of which loop without end on damaged input, and turns every damaged
/// file into an <see cref="InvalidDataException"/> instead of a model that scores different numbers.
/// </para>
/// <para>
/// A file without the manifest (written by plain <c>mlContext.Model.Save</c> or by an older GdTrainer) still
/// loads, but is unprotected: only the CRC-32 checks apply, which catch damage to the compressed bytes of the
/// file but not damage made before compression (a file changed and re-zipped). Save it again with
/// <see cref="Save"/> to protect it.
/// </para>
/// <para>
/// Columns named like the saved chain's helper columns: the built-in chain that <c>mlContext.Model.Save</c> writes for a GdTrainer
/// transformer works with helper columns (<c>__GdTrainer_v2_Features</c>, <c>__GdTrainer_v2_ModelKey</c>, <c>__GdTrainer_v2_Model</c>,
/// and for multiclass also <c>__GdTrainer_v2_Scores</c>, <c>__GdTrainer_v2_PredictedIndex</c>, <c>__GdTrainer_v2_PredictedValue</c>)
/// and drops them at its end, and ML.NET drops every column of a dropped name. Every visible column of the schema the transformer was
/// fitted on (its trainer's input; for a transformer made with a public constructor, only its feature column) is protected: one named
/// like a helper, the feature column included, is copied to a free <c>__GdTrainer_v2_Kept_*</c> column before the helpers are made and
/// copied back after they are dropped, so it comes out of the plain-loaded chain with its values (after the output columns). The
/// plain-loaded chain then needs that column at scoring time too (ML.NET's <see cref="ArgumentOutOfRangeException"/> "Could not find
/// input column ..." otherwise). A column that appears only at scoring time with the name of a helper or stash column (all begin
/// with <c>__GdTrainer_v2_</c>) is dropped from the plain-loaded chain's output. The transformer <see cref="Load"/> restores drops no
/// column, and keeps the same protection when it is saved again. Files of the first release (format version 1) drop
/// <c>__GdTrainer_Features</c>, <c>__GdTrainer_ModelKey</c> and <c>__GdTrainer_Parameters</c> after a plain load, as they always did.
/// </para>
/// </remarks>
public static class GradientDescentModel
{
    /// <summary>The name of the zip entry that holds the manifest of entry checksums.</summary>
    internal const string ManifestEntryName = "GdTrainer/Manifest";

    /// <summary>The first line of a manifest.</summary>
    private const string ManifestTitle = "GdTrainer model manifest";

    /// <summary>The manifest format this build writes and reads.</summary>
    private const int ManifestVersion = 1;

    /// <summary>A manifest has about 100 bytes per entry; anything larger than this is damage, not a model.</summary>
    private const int MaxManifestBytes = 16 << 20;

    /// <summary>The buffer used to stream entries through the hashes.</summary>
    private const int BufferBytes = 64 << 10;

    /// <summary>
    /// Saves <paramref name="model"/> to <paramref name="path"/> through a temporary file in the same
    /// directory that replaces the target only once it is complete: on failure the target is unchanged
    /// (or absent) and no temporary file is left. The file is the one <c>mlContext.Model.Save</c> writes plus the
    /// entry <c>GdTrainer/Manifest</c> (the SHA-256 and length of every other entry), which <see cref="Load"/>
    /// verifies before ML.NET reads the file; <c>mlContext.Model.Load</c> ignores that entry.
    /// </summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="model">The model (pipeline) to save.</param>
    /// <param name="inputSchema">The schema of the data the model is applied to (e.g. <c>data.Schema</c>).</param>
    /// <param name="path">The file to write; an existing file is replaced unless it is read-only.</param>
    /// <exception cref="DirectoryNotFoundException">The directory of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a directory; nothing is written.</exception>
    /// <exception cref="UnauthorizedAccessException">
    /// <paramref name="path"/> is a read-only file (its <see cref="FileAttributes.ReadOnly"/> attribute is set, on Unix: no write
    /// permission bit), which <c>mlContext.Model.Save</c> refuses too; nothing is written. Checked explicitly, so that a process
    /// running as root or administrator, whom the file system would let replace it, is refused as well.
    /// </exception>
    /// <exception cref="InvalidOperationException">ML.NET failed to save the model, or the manifest could not be added; the inner exception says why.</exception>
    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' is not a file path.", nameof(path));
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Cannot save the model to '{fullPath}': the directory '{directory}' does not exist. Create it first.");
        }

        if (Directory.Exists(fullPath))
        {
            throw new IOException($"Cannot save the model to '{fullPath}': that is a directory, so nothing was written. Pass a file path such as '{Path.Combine(fullPath, "model.zip")}'.");
        }

        if (File.Exists(fullPath) && (File.GetAttributes(fullPath) & FileAttributes.ReadOnly) != 0)
        {
            throw new UnauthorizedAccessException(
                $"Cannot save the model to '{fullPath}': the file is read-only, so nothing was written (mlContext.Model.Save refuses it too). Make the file writable or save to another path.");
        }

        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            try
            {
                mlContext.Model.Save(model, inputSchema, temporary);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"Saving the model to '{fullPath}' failed, so nothing was written there: {exception.Message}", exception);
            }

            try
            {
                AddManifest(temporary);
            }
            catch (Exception exception) when (exception is IOException or InvalidDataException or UnauthorizedAccessException or ModelFileDamagedException)
            {
                throw new InvalidOperationException($"Saving the model to '{fullPath}' failed while adding its checksum manifest, so nothing was written there: {exception.Message}", exception);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>
    /// Loads a model saved with <see cref="Save"/> or <c>mlContext.Model.Save</c>, after checking the file's integrity,
    /// and gives back GdTrainer's own transformers: each <see cref="GradientDescentRegressionTransformer"/> that was saved
    /// (stored as a chain of built-in ML.NET transformers) is rebuilt, with its <see cref="GradientDescentRegressionTransformer.Weights"/>,
    /// <see cref="GradientDescentRegressionTransformer.Bias"/>, loss history, feature column name and type,
    /// and it scores bit-identically to the saved model at the in-memory speed. The other transformers of the
    /// pipeline are returned as ML.NET loaded them, in chains with their original scopes.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Before ML.NET reads anything, every zip entry is decompressed as a stream and its CRC-32 checked; a file written by
    /// <see cref="Save"/> also has every entry's SHA-256 and length checked against its manifest (see the remarks of
    /// <see cref="GradientDescentModel"/>). A file without a manifest (plain <c>mlContext.Model.Save</c>, older GdTrainer)
    /// loads with the CRC-32 checks only: it is unprotected against damage made before compression.
    /// </para>
    /// <para>
    /// Plain <c>mlContext.Model.Load</c> also works on these files but returns the built-in stand-in chain, which
    /// scores identically and roughly ten times slower per row (several ML.NET transforms per row instead of one),
    /// and checks nothing. A saved chain that is not recognised (for example one written by an older build of GdTrainer
    /// without the stored feature-column description) is left as loaded and still scores correctly.
    /// </para>
    /// </remarks>
    /// <param name="mlContext">The context; GdTrainer's saved-model components are registered with it.</param>
    /// <param name="path">The model file.</param>
    /// <param name="inputSchema">The schema of the data the model expects.</param>
    /// <returns>
    /// The loaded model: a <see cref="GradientDescentRegressionTransformer"/> for a file holding only the trained
    /// transformer, otherwise a <see cref="Microsoft.ML.Data.TransformerChain{TLastTransformer}"/> of
    /// <see cref="ITransformer"/> in which the trained transformer appears where it was when saved.
    /// </returns>
    /// <exception cref="FileNotFoundException">The file does not exist, or is a directory.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is damaged (an entry fails its CRC-32, SHA-256 or length check: the message names the file and the entry),
    /// truncated, not a zip archive, or not a model ML.NET can read (the inner exception holds ML.NET's error). The message
    /// says to save the model again.
    /// </exception>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException(
                Directory.Exists(fullPath) ? $"The model file '{fullPath}' is a directory, not a model file." : $"The model file '{fullPath}' does not exist.",
                fullPath);
        }

        mlContext.ComponentCatalog.RegisterAssembly(typeof(GradientDescentModel).Assembly);
        ITransformer loaded;

        // One stream for the check and for ML.NET, shared for reading only: what is checked is what ML.NET reads.
        using (var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            bool isProtected = VerifyIntegrity(stream, fullPath);
            stream.Position = 0;
            try
            {
                loaded = mlContext.Model.Load(stream, out inputSchema);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                string what = isProtected
                    ? "it passed its checksum manifest, so it is intact, but ML.NET cannot read it (written by a newer version, or an assembly it names is missing?)"
                    : "it is corrupted, truncated or not an ML.NET model file";
                throw new InvalidDataException(
                    $"The model file '{fullPath}' could not be loaded: {what} ({exception.GetType().Name}: {exception.Message}). Save the model again.",
                    exception);
            }
        }

        return SavedModelRestorer.Restore(mlContext, loaded);
    }

    /// <summary>
    /// Checks the model file open in <paramref name="stream"/>: every entry decompresses to its declared length and CRC-32,
    /// and, if the file has a manifest, the entry set and each entry's length and SHA-256 match it.
    /// </summary>
    /// <returns><see langword="true"/> if the file has a manifest (and passed it), <see langword="false"/> if it has none.</returns>
    /// <exception cref="InvalidDataException">The file is damaged; the message names <paramref name="fullPath"/> and the damaged entry.</exception>
    internal static bool VerifyIntegrity(Stream stream, string fullPath)
    {
        try
        {
            using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var digests = new Dictionary<string, EntryDigest>(StringComparer.Ordinal);
            ZipArchiveEntry? manifest = null;
            byte[] buffer = new byte[BufferBytes];
            foreach (ZipArchiveEntry entry in archive.Entries)
            {
                EntryDigest digest = DigestChecked(entry, buffer, fullPath);
                if (!digests.TryAdd(entry.FullName, digest))
                {
                    throw Damaged(fullPath, $"the archive holds two entries named '{entry.FullName}'");
                }

                if (entry.FullName == ManifestEntryName)
                {
                    manifest = entry;
                }
            }

            if (manifest is null)
            {
                return false;
            }

            digests.Remove(ManifestEntryName);
            CheckAgainstManifest(ReadManifest(manifest, fullPath), digests, fullPath);
            return true;
        }
        catch (ModelFileDamagedException damage)
        {
            throw new InvalidDataException(damage.Message, damage.InnerException);
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException or NotSupportedException or ArgumentException)
        {
            // ZipArchive's own errors: no end of central directory (truncated), bad headers, unsupported methods.
            throw new InvalidDataException(
                $"The model file '{fullPath}' could not be loaded: it is corrupted, truncated or not an ML.NET model file ({exception.GetType().Name}: {exception.Message}). Save the model again.",
                exception);
        }
    }

    /// <summary>Writes the manifest of the model file at <paramref name="path"/> into it.</summary>
    private static void AddManifest(string path)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{ManifestTitle}\nversion {ManifestVersion}\n");
        using (var archive = ZipFile.OpenRead(path))
        {
            byte[] buffer = new byte[BufferBytes];
            foreach (ZipArchiveEntry entry in archive.Entries)
            {
                if (entry.FullName == ManifestEntryName || entry.FullName.Contains('\n', StringComparison.Ordinal) || entry.FullName.Contains('\r', StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"ML.NET wrote an entry named '{entry.FullName}', which the manifest cannot record.");
                }

                EntryDigest digest = DigestChecked(entry, buffer, path);
                text.Append(CultureInfo.InvariantCulture, $"entry {Convert.ToHexStringLower(digest.Sha256)} {digest.Length} {entry.FullName}\n");
            }
        }

        byte[] body = Encoding.UTF8.GetBytes(text.ToString());
        byte[] ending = Encoding.UTF8.GetBytes($"manifest-sha256 {Convert.ToHexStringLower(SHA256.HashData(body))}\n");
        using var update = ZipFile.Open(path, ZipArchiveMode.Update);
        using Stream output = update.CreateEntry(ManifestEntryName, CompressionLevel.Optimal).Open();
        output.Write(body);
        output.Write(ending);
    }

    /// <summary>Reads and parses the manifest entry (already CRC-checked), verifying its own SHA-256 and version.</summary>
    private static Dictionary<string, (byte[] Sha256, long Length)> ReadManifest(ZipArchiveEntry manifest, string fullPath)
    {
        if (manifest.Length > MaxManifestBytes)
        {
            throw Damaged(fullPath, $"its checksum manifest (entry '{ManifestEntryName}') declares {manifest.Length} bytes, more than a manifest can have");
        }

        byte[] bytes = new byte[manifest.Length];
        using (Stream content = manifest.Open())
        {
            content.ReadExactly(bytes);
        }

        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw ManifestDamaged(fullPath, "it is not valid UTF-8");
        }

        // Every manifest version keeps its first line and its last (its own SHA-256), so that damage (checked first) is
        // told apart from a manifest of a newer format.
        string[] lines = text.Split('\n');
        const string HashPrefix = "manifest-sha256 ";
        if (lines.Length < 4 || lines[^1].Length != 0 || !lines[^2].StartsWith(HashPrefix, StringComparison.Ordinal))
        {
            throw ManifestDamaged(fullPath, "its last line is not its own SHA-256");
        }

        int bodyLength = bytes.Length - Encoding.UTF8.GetByteCount(lines[^2]) - 1;
        byte[] expectedSelf = SHA256.HashData(bytes.AsSpan(0, bodyLength));
        if (!TryParseHex(lines[^2].AsSpan(HashPrefix.Length), out byte[] recordedSelf) || !expectedSelf.AsSpan().SequenceEqual(recordedSelf))
        {
            throw ManifestDamaged(fullPath, "its content does not match its own SHA-256");
        }

        if (lines[0] != ManifestTitle)
        {
            throw ManifestDamaged(fullPath, $"its first line is not '{ManifestTitle}'");
        }

        if (lines[1] != $"version {ManifestVersion}")
        {
            throw new ModelFileDamagedException(
                $"The model file '{fullPath}' has a checksum manifest of format '{lines[1]}', which this build of GdTrainer (manifest version {ManifestVersion}) cannot check. Load it with the GdTrainer that saved it, or save the model again.", null);
        }

        var recorded = new Dictionary<string, (byte[] Sha256, long Length)>(StringComparer.Ordinal);
        for (int i = 2; i < lines.Length - 2; i++)
        {
            // "entry <sha256 hex> <length> <name>": the name is the rest of the line and may hold spaces.
            string[] fields = lines[i].Split(' ', 4);
            if (fields.Length != 4 || fields[0] != "entry" || !TryParseHex(fields[1], out byte[] sha256) || sha256.Length != SHA256.HashSizeInBytes
                || !long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out long length) || !recorded.TryAdd(fields[3], (sha256, length)))
            {
                throw ManifestDamaged(fullPath, $"line {i + 1} is not a valid entry record");
            }
        }

        return recorded;
    }

    /// <summary>Compares the digests of the file's entries (manifest excluded) with the manifest.</summary>
    private static void CheckAgainstManifest(Dictionary<string, (byte[] Sha256, long Length)> recorded, Dictionary<string, EntryDigest> actual, string fullPath)
    {
        foreach ((string name, (byte[] sha256, long length)) in recorded)
        {
            if (!actual.TryGetValue(name, out EntryDigest digest))
            {
                throw Damaged(fullPath, $"entry '{name}', listed in its checksum manifest, is missing");
            }

            if (digest.Length != length)
            {
                throw Damaged(fullPath, $"entry '{name}' holds {digest.Length} bytes where its checksum manifest recorded {length}");
            }

            if (!digest.Sha256.AsSpan().SequenceEqual(sha256))
            {
                throw Damaged(fullPath, $"entry '{name}' does not match the SHA-256 its checksum manifest recorded when it was saved");
            }
        }

        foreach (string name in actual.Keys)
        {
            if (!recorded.ContainsKey(name))
            {
                throw Damaged(fullPath, $"entry '{name}' is not listed in its checksum manifest (added or renamed after saving)");
            }
        }
    }

    /// <summary>
    /// Streams <paramref name="entry"/> through SHA-256 and CRC-32, reading at most its declared length plus one byte,
    /// and checks the length and CRC-32 against the archive's directory.
    /// </summary>
    private static EntryDigest DigestChecked(ZipArchiveEntry entry, byte[] buffer, string fullPath)
    {
        long declared = entry.Length;
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var crc32 = new Crc32();
        long length = 0;
        try
        {
            using Stream content = entry.Open();
            while (true)
            {
                // Never read past the declared length + 1: a damaged length cannot make this loop long or large.
                int wanted = (int)Math.Min(buffer.Length, declared + 1 - length);
                int read = content.Read(buffer, 0, wanted);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > declared)
                {
                    throw Damaged(fullPath, $"entry '{entry.FullName}' decompresses to more than the {declared} bytes the archive declares");
                }

                sha256.AppendData(buffer, 0, read);
                crc32.Append(buffer.AsSpan(0, read));
            }
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException or NotSupportedException)
        {
            throw Damaged(fullPath, $"entry '{entry.FullName}' cannot be decompressed ({exception.Message})", exception);
        }

        if (length != declared)
        {
            throw Damaged(fullPath, $"entry '{entry.FullName}' decompresses to {length} bytes where the archive declares {declared}");
        }

        if (crc32.GetCurrentHashAsUInt32() != entry.Crc32)
        {
            throw Damaged(fullPath, $"entry '{entry.FullName}' does not match its CRC-32");
        }

        return new EntryDigest(sha256.GetHashAndReset(), length);
    }

    private static bool TryParseHex(ReadOnlySpan<char> hex, out byte[] bytes)
    {
        bytes = [];
        if (hex.Length == 0 || hex.Length % 2 != 0)
        {
            return false;
        }

        foreach (char c in hex)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        bytes = Convert.FromHexString(hex);
        return true;
    }

    private static ModelFileDamagedException Damaged(string fullPath, string what, Exception? inner = null) =>
        new($"The model file '{fullPath}' is damaged: {what}. It cannot be trusted to score as saved; save the model again.", inner);

    private static ModelFileDamagedException ManifestDamaged(string fullPath, string what) =>
        Damaged(fullPath, $"its checksum manifest (entry '{ManifestEntryName}') is damaged: {what}");

    /// <summary>The SHA-256 and length of one entry's decompressed content.</summary>
    private readonly record struct EntryDigest(byte[] Sha256, long Length);

    /// <summary>Damage found by the integrity check itself; <see cref="VerifyIntegrity"/> turns it into an <see cref="InvalidDataException"/> with the same message.</summary>
    private sealed class ModelFileDamagedException(string message, Exception? inner) : Exception(message, inner);
}
