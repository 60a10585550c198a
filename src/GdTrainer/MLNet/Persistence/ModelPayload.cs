namespace GdTrainer.MLNet;

using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using GdTrainer.Models;
using GdTrainer.Training;
using Microsoft.ML.Data;

/// <summary>
/// Everything GdTrainer stores for one trained transformer, as one checksummed, versioned record: the task, the feature
/// column, the feature standardisation, the trained module (<see cref="ModuleFormat"/>) and the training history. The saved
/// carrier keeps it as a Base64 text value inside the model file (<see cref="SavedModelCarrier"/>).
/// </summary>
/// <remarks>
/// <para>Layout, version 2 (little-endian; version 1 is the first release's float-vector carrier, which has no record):</para>
/// <list type="number">
/// <item><description>magic <c>GDTP</c>, format version int32 (2), payload length int32, SHA-256 (32 bytes) of the payload;</description></item>
/// <item><description>payload: task byte (0 regression, 1 binary, 2 multiclass); feature column name (int32 length + UTF-8),
/// rank int32 (0 for a Single scalar) and its dimensions int32; standardisation flag byte, then feature count int32, offsets and
/// multipliers float32; module record length int32 and the <see cref="ModuleFormat"/> record; epoch count int32 and per epoch:
/// training loss, validation loss, learning rate float32, batch size int32, elapsed ticks int64; stop reason byte (255: none);
/// restored epoch int32 (-1: none).</description></item>
/// </list>
/// Decoding verifies the checksum before it parses anything and checks every size against the bytes that remain, so a damaged
/// record is an <see cref="InvalidDataException"/>, never a different model.
/// </remarks>
internal sealed class ModelPayload
{
    internal const int FormatVersion = 2;
    private const int PrefixLength = 4 + 4 + 4 + 32;
    private static readonly byte[] s_magic = "GDTP"u8.ToArray();

    internal ModelPayload(PredictionKind kind, string featureColumnName, DataViewType featureColumnType, GradientDescentModelParameters model)
    {
        Kind = kind;
        FeatureColumnName = featureColumnName;
        FeatureColumnType = featureColumnType;
        Model = model;
    }

    internal PredictionKind Kind { get; }

    internal string FeatureColumnName { get; }

    internal DataViewType FeatureColumnType { get; }

    internal GradientDescentModelParameters Model { get; }

    /// <summary>The record as Base64 text.</summary>
    /// <exception cref="NotSupportedException">The model holds a module type the format cannot describe (the message names it).</exception>
    internal string Encode()
    {
        byte[] module = ModuleFormat.Save(Model.Module);
        using var body = new MemoryStream();
        using (var writer = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write((byte)Kind);
            byte[] name = Encoding.UTF8.GetBytes(FeatureColumnName);
            writer.Write(name.Length);
            writer.Write(name);
            int[] dimensions = FeatureColumnType is VectorDataViewType vector ? [.. vector.Dimensions] : [];
            writer.Write(dimensions.Length);
            foreach (int dimension in dimensions)
            {
                writer.Write(dimension);
            }

            if (Model.Standardization is { } transform)
            {
                writer.Write((byte)1);
                writer.Write(transform.Offsets.Length);
                foreach (float offset in transform.Offsets)
                {
                    writer.Write(offset);
                }

                foreach (float scale in transform.Scales)
                {
                    writer.Write(scale);
                }
            }
            else
            {
                writer.Write((byte)0);
            }

            writer.Write(module.Length);
            writer.Write(module);
            TrainingHistory history = Model.History;
            writer.Write(history.EpochsRun);
            foreach (EpochReport epoch in history.Epochs)
            {
                writer.Write(epoch.TrainingLoss);
                writer.Write(epoch.ValidationLoss);
                writer.Write(epoch.LearningRate);
                writer.Write(epoch.BatchSize);
                writer.Write(epoch.Elapsed.Ticks);
            }

            writer.Write(history.StopReason is { } reason ? (byte)reason : (byte)255);
            writer.Write(history.RestoredEpoch ?? -1);
        }

        byte[] payload = body.ToArray();
        var record = new byte[PrefixLength + payload.Length];
        s_magic.CopyTo(record, 0);
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(8), payload.Length);
        SHA256.HashData(payload, record.AsSpan(12, 32));
        payload.CopyTo(record, PrefixLength);
        return Convert.ToBase64String(record);
    }

    /// <summary>Decodes and verifies a record written by <see cref="Encode"/>.</summary>
    /// <exception cref="InvalidDataException">The record is damaged, truncated, of another format or of a newer version; the message says which.</exception>
    internal static ModelPayload Decode(ReadOnlySpan<char> text)
    {
        byte[] record = new byte[(text.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64Chars(text, record, out int length))
        {
            throw Damaged("it is not valid Base64 text");
        }

        ReadOnlySpan<byte> bytes = record.AsSpan(0, length);
        if (bytes.Length < PrefixLength || !bytes[..4].SequenceEqual(s_magic))
        {
            throw Damaged("it does not start with the GdTrainer model record header");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        if (version > FormatVersion)
        {
            throw new InvalidDataException(
                $"The saved GdTrainer model was written by a newer GdTrainer (model format version {version}; this build reads up to {FormatVersion}). Update the GdTrainer package.");
        }

        int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        if (version != FormatVersion || payloadLength != bytes.Length - PrefixLength)
        {
            throw Damaged($"its header is inconsistent (version {version}, payload length {payloadLength} of {bytes.Length - PrefixLength} bytes)");
        }

        ReadOnlySpan<byte> payload = bytes[PrefixLength..];
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(payload, hash);
        if (!hash.SequenceEqual(bytes.Slice(12, 32)))
        {
            throw Damaged("its SHA-256 checksum does not match its content");
        }

        try
        {
            return Parse(payload);
        }
        catch (Exception exception) when (exception is EndOfStreamException or ArgumentException or IOException or OverflowException)
        {
            throw Damaged($"its content does not parse ({exception.Message})");
        }
    }

    private static ModelPayload Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new RecordReader(payload, Damaged);
        byte kind = reader.Byte("task");
        if (!Enum.IsDefined((PredictionKind)kind))
        {
            throw Damaged($"it names an unknown task {kind}");
        }

        string name = Encoding.UTF8.GetString(reader.Bytes(reader.Count(1, "feature column name length"), "feature column name"));
        int rank = reader.Count(4, "feature column rank");
        if (rank > 8)
        {
            throw Damaged($"its feature column has {rank} dimensions");
        }

        var dimensions = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            dimensions[i] = reader.Int32("feature column dimension");
            if (dimensions[i] < 1)
            {
                throw Damaged($"its feature column has a dimension of size {dimensions[i]}");
            }
        }

        DataViewType featureType = rank == 0 ? NumberDataViewType.Single : new VectorDataViewType(NumberDataViewType.Single, dimensions);
        FeatureTransform? transform = null;
        if (reader.Byte("standardisation flag") == 1)
        {
            int count = reader.Count(8, "standardisation size");
            var offsets = new float[count];
            var scales = new float[count];
            for (int i = 0; i < count; i++)
            {
                offsets[i] = reader.Single("standardisation offset");
            }

            for (int i = 0; i < count; i++)
            {
                scales[i] = reader.Single("standardisation multiplier");
            }

            transform = new FeatureTransform(offsets, scales);
        }

        Module module = ModuleFormat.Load(reader.Bytes(reader.Count(1, "module record length"), "module record"));
        int epochs = reader.Count(24, "epoch count");
        var reports = new EpochReport[epochs];
        for (int i = 0; i < epochs; i++)
        {
            reports[i] = new EpochReport(i + 1, reader.Single("training loss"), reader.Single("validation loss"), reader.Single("learning rate"), reader.Int32("batch size"), TimeSpan.FromTicks(reader.Int64("elapsed time")));
        }

        byte reason = reader.Byte("stop reason");
        int restored = reader.Int32("restored epoch");
        if (!reader.AtEnd || (reason != 255 && !Enum.IsDefined((TrainingStopReason)reason)))
        {
            throw Damaged("its history does not parse");
        }

        var history = new TrainingHistory(reports, reason == 255 ? null : (TrainingStopReason)reason, restored < 0 ? null : restored);
        var model = new GradientDescentModelParameters(module, transform, history, rowCounts: null);
        int featureCount = featureType is VectorDataViewType { Size: var size } ? size : 1;
        if (model.FeatureCount != featureCount || (transform is not null && transform.Offsets.Length != featureCount))
        {
            throw Damaged($"its model expects {model.FeatureCount} features but its feature column holds {featureCount}");
        }

        return new ModelPayload((PredictionKind)kind, name, featureType, model);
    }

    private static InvalidDataException Damaged(string what) =>
        new($"The GdTrainer model stored in this model file is damaged: {what}. The file was corrupted after it was saved; save the model again.");
}
