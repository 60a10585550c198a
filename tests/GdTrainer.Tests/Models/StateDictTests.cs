namespace GdTrainer.Tests.Models;

using GdTrainer.Autograd;
using GdTrainer.Models;

/// <summary>Parameter save/load (<see cref="StateDict"/>): round trip, all-or-nothing loading and every error.</summary>
public sealed class StateDictTests
{
    [Fact]
    public void SaveThenLoadRestoresEveryParameterExactly()
    {
        var source = new Mlp(4, [5, 3], 2, Activation.Tanh, seed: 1);
        var target = new Mlp(4, [5, 3], 2, Activation.Tanh, seed: 2);
        Assert.NotEqual(Flatten(source), Flatten(target));

        using var stream = new MemoryStream();
        source.SaveParameters(stream);
        long saved = stream.Position;
        stream.WriteByte(0xAB); // something else after the record
        stream.Position = 0;
        target.LoadParameters(stream);

        Assert.Equal(Flatten(source), Flatten(target));
        Assert.Equal(saved, stream.Position);
        Tensor<float> x = Tensor.Randn([3, 4], new Random(3));
        Assert.Equal(source.Forward(x).ToArray(), target.Forward(x).ToArray());
        Assert.All(target.Parameters(), p => Assert.True(p.RequiresGrad && p.IsLeaf));
    }

    [Fact]
    public void TheRecordHasTheDocumentedLayout()
    {
        var model = new LinearModel(2);
        using (Autograd.NoGrad())
        {
            model.Weights.CopyFrom([1.5f, -2f]);
            model.Bias.CopyFrom([0.25f]);
        }

        byte[] bytes = Save(model);
        // header 20 + count 4 + ("weight": 4 + 6 + 2 + 4 + 8) + ("bias": 4 + 4 + 2 + 4 + 4) + SHA-256 32
        Assert.Equal(20 + 4 + 24 + 18 + 32, bytes.Length);
        Assert.Equal("GDTSTATE"u8.ToArray(), bytes[..8]);
        Assert.Equal(1, BitConverter.ToInt32(bytes, 8));
        Assert.Equal(bytes.Length - 20 - 32, BitConverter.ToInt64(bytes, 12));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)), bytes[^32..]);
        Assert.Equal(-2f, BitConverter.ToSingle(bytes, 20 + 4 + 4 + 6 + 2 + 4 + 4));
    }

    [Fact]
    public void StateDictIsACopy()
    {
        var model = new Mlp(2, [3], 1, seed: 1);
        StateDict state = model.GetStateDict();
        float before = state["layers.0.weight"].Data[0];
        using (Autograd.NoGrad())
        {
            model.LinearLayers[0].Weight.Fill(9f);
        }

        Assert.Equal(before, state["layers.0.weight"].Data[0]);
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"], state.Keys);
        Assert.False(state["layers.0.bias"].RequiresGrad);

        model.LoadStateDict(state);
        Assert.Equal(before, model.LinearLayers[0].Weight.Data[0]);
    }

    [Fact]
    public void AMissingKeyIsNamedAndNothingChanges()
    {
        byte[] saved = Save(new Mlp(3, [4], 1, seed: 1));
        var bigger = new Mlp(3, [4, 4], 1, seed: 2);
        float[] before = Flatten(bigger);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => bigger.LoadParameters(new MemoryStream(saved)));
        Assert.Contains("missing key 'layers.4.weight'", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing key 'layers.4.bias'", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Flatten(bigger));
    }

    [Fact]
    public void AnUnexpectedKeyIsNamed()
    {
        byte[] saved = Save(new Mlp(3, [4, 4], 1, seed: 1));
        var smaller = new Mlp(3, [4], 1, seed: 2);
        float[] before = Flatten(smaller);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => smaller.LoadParameters(new MemoryStream(saved)));
        Assert.Contains("unexpected key 'layers.4.weight'", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Flatten(smaller));
    }

    [Fact]
    public void AShapeMismatchNamesBothShapes()
    {
        byte[] saved = Save(new Mlp(3, [4], 2, seed: 1));
        var other = new Mlp(3, [5], 2, seed: 2);
        float[] before = Flatten(other);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => other.LoadParameters(new MemoryStream(saved)));
        Assert.Contains("shape mismatch for 'layers.0.weight': the module expects [3, 5] but the saved value is [3, 4]", error.Message, StringComparison.Ordinal);
        Assert.Contains("'layers.2.weight'", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Flatten(other));
    }

    [Fact]
    public void EveryFlippedBitIsDetectedBeforeAnyParameterChanges()
    {
        var model = new Mlp(2, [2], 1, seed: 1);
        byte[] saved = Save(new Mlp(2, [2], 1, seed: 2));
        float[] before = Flatten(model);
        for (int position = 0; position < saved.Length; position++)
        {
            for (int bit = 0; bit < 8; bit += 3)
            {
                byte[] damaged = (byte[])saved.Clone();
                damaged[position] ^= (byte)(1 << bit);
                InvalidDataException error = Assert.Throws<InvalidDataException>(() => model.LoadParameters(new MemoryStream(damaged)));
                Assert.Matches("magic|version|checksum|truncated|payload length", error.Message);
                Assert.Equal(before, Flatten(model));
            }
        }
    }

    [Fact]
    public void AFlippedValueByteIsAChecksumMismatch()
    {
        byte[] saved = Save(new Mlp(2, [2], 1, seed: 2));
        saved[40] ^= 0x10;
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => new Mlp(2, [2], 1).LoadParameters(new MemoryStream(saved)));
        Assert.Contains("checksum mismatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryTruncationIsDetected()
    {
        var model = new Mlp(2, [2], 1, seed: 1);
        byte[] saved = Save(new Mlp(2, [2], 1, seed: 2));
        float[] before = Flatten(model);
        for (int length = 0; length < saved.Length; length++)
        {
            InvalidDataException error = Assert.Throws<InvalidDataException>(() => model.LoadParameters(new MemoryStream(saved[..length])));
            Assert.Matches(length < 8 ? "magic" : "truncated", error.Message);
            Assert.Equal(before, Flatten(model));
        }
    }

    [Fact]
    public void WrongMagicAndUnsupportedVersionAreNamed()
    {
        byte[] saved = Save(new LinearModel(2));
        byte[] wrongMagic = (byte[])saved.Clone();
        "PK\u0003\u0004"u8.CopyTo(wrongMagic);
        InvalidDataException magic = Assert.Throws<InvalidDataException>(() => new LinearModel(2).LoadParameters(new MemoryStream(wrongMagic)));
        Assert.Contains("magic bytes 'GDTSTATE'", magic.Message, StringComparison.Ordinal);

        byte[] newer = (byte[])saved.Clone();
        BitConverter.GetBytes(2).CopyTo(newer, 8);
        InvalidDataException version = Assert.Throws<InvalidDataException>(() => new LinearModel(2).LoadParameters(new MemoryStream(newer)));
        Assert.Contains("format version 2", version.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AHugeDamagedLengthFailsAsTruncatedWithoutAllocatingIt()
    {
        byte[] saved = Save(new LinearModel(2));
        BitConverter.GetBytes(1_000_000_000L).CopyTo(saved, 12);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => new LinearModel(2).LoadParameters(new MemoryStream(saved)));
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 16_000_000);

        BitConverter.GetBytes(-5L).CopyTo(saved, 12);
        Assert.Contains("payload length", Assert.Throws<InvalidDataException>(() => new LinearModel(2).LoadParameters(new MemoryStream(saved))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AStateDictRoundTripsScalarsAndKeepsItsOrder()
    {
        var state = new StateDict([
            new("z", Tensor.Scalar(3.5f)),
            new("a.b", Tensor.From([1f, 2f, 3f])),
            new("m", Tensor.From(new float[,] { { 1f, 2f }, { 3f, 4f } })),
        ]);
        using var stream = new MemoryStream();
        state.Save(stream);
        stream.Position = 0;
        StateDict loaded = StateDict.Load(stream);

        Assert.Equal(["z", "a.b", "m"], loaded.Keys);
        Assert.Equal(Array.Empty<int>(), loaded["z"].Shape.ToArray());
        Assert.Equal(3.5f, loaded["z"].Item());
        Assert.Equal([2, 2], loaded["m"].Shape.ToArray());
        Assert.Equal([1f, 2f, 3f, 4f], loaded["m"].ToArray());
        Assert.Throws<KeyNotFoundException>(() => loaded["q"]);
        Assert.Throws<ArgumentException>(() => new StateDict([new("x", Tensor.Zeros([1])), new("x", Tensor.Zeros([1]))]));
    }

    private static byte[] Save(Module module)
    {
        using var stream = new MemoryStream();
        module.SaveParameters(stream);
        return stream.ToArray();
    }

    private static float[] Flatten(Module module) => module.Parameters().SelectMany(p => p.ToArray()).ToArray();
}
