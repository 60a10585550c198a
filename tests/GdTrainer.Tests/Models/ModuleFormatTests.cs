namespace GdTrainer.Tests.Models;

using System.Buffers.Binary;
using System.Security.Cryptography;
using GdTrainer.Autograd;
using GdTrainer.Models;

/// <summary>Whole-model save/load (<see cref="ModuleFormat"/>): round trips of every describable type, and every error.</summary>
public sealed class ModuleFormatTests
{
    public static TheoryData<string> Models() => [.. s_models.Keys];

    private static readonly Dictionary<string, Func<Module>> s_models = new()
    {
        ["Linear"] = () => new Linear(5, 3, generator: new Random(1)),
        ["Linear one output"] = () => new Linear(5, 1, generator: new Random(2)),
        ["Linear without bias"] = () => new Linear(4, 3, bias: false, generator: new Random(3)),
        ["LinearModel"] = () => Randomised(new LinearModel(4), 4),
        ["Mlp Relu"] = () => new Mlp(4, [6, 5], 2, Activation.Relu, seed: 5),
        ["Mlp Tanh dropout"] = () => new Mlp(4, [6], 1, Activation.Tanh, dropout: 0.25f, seed: 6),
        ["Mlp Sigmoid"] = () => new Mlp(4, [3, 3, 3], 3, Activation.Sigmoid, seed: 7),
        ["Mlp LeakyRelu"] = () => new Mlp(4, [7], 2, Activation.LeakyRelu, seed: 8),
        ["Mlp Gelu"] = () => new Mlp(4, [9], 1, Activation.Gelu, dropout: 0.5f, seed: 9),
        ["Mlp no hidden"] = () => new Mlp(4, [], 2, seed: 10),
        ["Relu"] = () => new Relu(),
        ["LeakyRelu"] = () => new LeakyRelu(-0.3f),
        ["Gelu tanh"] = () => new Gelu(tanhApproximation: true),
        ["Gelu"] = () => new Gelu(),
        ["Tanh"] = () => new Tanh(),
        ["Sigmoid"] = () => new Sigmoid(),
        ["Dropout"] = () => new Dropout(0.375f),
        ["Nested Sequential"] = () => Randomised(
            new Sequential(
                new Linear(4, 6, generator: new Random(11)),
                new Relu(),
                new Sequential(new Linear(6, 5, bias: false, generator: new Random(12)), new LeakyRelu(0.2f), new Dropout(0.3f)),
                new Linear(5, 5, generator: new Random(13)),
                new Gelu(tanhApproximation: true),
                new Sequential(new Sequential(new Linear(5, 5, generator: new Random(14)), new Gelu())),
                new Linear(5, 3, generator: new Random(15)),
                new Tanh(),
                new Mlp(3, [4], 3, Activation.Sigmoid, seed: 16),
                new Sigmoid(),
                new Linear(3, 2, generator: new Random(17))),
            18),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void RoundTripRebuildsTheArchitectureWithIdenticalParametersAndOutputs(string name)
    {
        Module original = s_models[name]();
        original.Train(); // the mode when saved does not matter: the loaded module is in evaluation mode

        Module loaded = ModuleFormat.Load(ModuleFormat.Save(original));

        Assert.IsType(original.GetType(), loaded);
        Assert.False(loaded.IsTraining);
        Assert.Equal(original.ToString(), loaded.ToString()); // the type and settings of every module in the tree
        Assert.Equal(Names(original), Names(loaded));
        Assert.Equal(Values(original), Values(loaded));
        Assert.All(loaded.Parameters(), p => Assert.True(p.RequiresGrad && p.IsLeaf));

        original.Eval();
        Tensor<float> x = Tensor.Randn([7, 4], new Random(42));
        if (name is "Linear" or "Linear one output")
        {
            x = Tensor.Randn([7, 5], new Random(42));
        }

        using (Autograd.NoGrad())
        {
            Assert.Equal(original.Forward(x).ToArray(), loaded.Forward(x).ToArray());
        }
    }

    [Fact]
    public void SettingsThatDoNotShowInParametersSurviveTheRoundTrip()
    {
        var loaded = (Sequential)ModuleFormat.Load(ModuleFormat.Save(
            new Sequential(new Linear(2, 2, bias: false), new LeakyRelu(0.125f), new Gelu(true), new Dropout(0.75f))));

        Assert.Null(((Linear)loaded[0]).Bias);
        Assert.Equal(0.125f, ((LeakyRelu)loaded[1]).NegativeSlope);
        Assert.True(((Gelu)loaded[2]).TanhApproximation);
        Assert.Equal(0.75f, ((Dropout)loaded[3]).Probability);

        var mlp = (Mlp)ModuleFormat.Load(ModuleFormat.Save(new Mlp(3, [4, 2], 5, Activation.Gelu, dropout: 0.125f)));
        Assert.Equal([4, 2], mlp.HiddenSizes);
        Assert.Equal((3, 5, Activation.Gelu, 0.125f), (mlp.InputSize, mlp.OutputSize, mlp.ActivationFunction, mlp.DropoutProbability));
    }

    [Fact]
    public void TheRecordHasTheDocumentedLayout()
    {
        byte[] bytes = ModuleFormat.Save(new Sequential(new Linear(2, 3, generator: new Random(1)), new Relu()));

        Assert.Equal("GDTM"u8.ToArray(), bytes[..4]);
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)));
        long payloadLength = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        Assert.Equal(bytes.Length - 48, payloadLength);
        byte[] hashed = [.. bytes[..16], .. bytes[48..]];
        Assert.Equal(SHA256.HashData(hashed), bytes[16..48]);

        // Tree: Sequential (4) with 2 children; Linear (1) 2 -> 3 with bias; Relu (5); then a StateDict record.
        byte[] tree = [4, 2, 0, 0, 0, 1, 2, 0, 0, 0, 3, 0, 0, 0, 1, 5];
        Assert.Equal(tree, bytes[48..(48 + tree.Length)]);
        Assert.Equal("GDTSTATE"u8.ToArray(), bytes[(48 + tree.Length)..(48 + tree.Length + 8)]);
    }

    [Fact]
    public void StreamOverloadsLeaveTheStreamAfterTheRecord()
    {
        var model = new Mlp(3, [4], 2, Activation.Tanh, seed: 1);
        using var stream = new MemoryStream();
        stream.WriteByte(0x55); // something before
        ModuleFormat.Save(model, stream);
        long end = stream.Position;
        stream.WriteByte(0xAB); // something after
        stream.Position = 1;

        Module loaded = ModuleFormat.Load(stream);

        Assert.Equal(end, stream.Position);
        Assert.Equal(Values(model), Values(loaded));
        Assert.Equal(ModuleFormat.Save(model), stream.ToArray()[1..(int)end]);
    }

    [Fact]
    public void AModuleOfAnotherTypeIsRejectedAtSaveWithItsTypeAndPath()
    {
        var model = new Sequential(new Linear(2, 3), new Sequential(new Relu(), new Scale()), new Linear(3, 1));

        var error = Assert.Throws<NotSupportedException>(() => ModuleFormat.Save(model));

        Assert.Contains(typeof(Scale).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains("'1.1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Linear, LinearModel, Mlp, Sequential, Relu, LeakyRelu, Gelu, Tanh, Sigmoid, Dropout", error.Message, StringComparison.Ordinal);

        var root = Assert.Throws<NotSupportedException>(() => ModuleFormat.Save(new Scale()));
        Assert.Contains("the root module", root.Message, StringComparison.Ordinal);

        using var stream = new MemoryStream();
        Assert.Throws<NotSupportedException>(() => ModuleFormat.Save(model, stream));
        Assert.Equal(0, stream.Length); // nothing written
    }

    [Fact]
    public void ASharedInstanceIsRejectedAtSave()
    {
        var shared = new Linear(3, 3);
        var error = Assert.Throws<NotSupportedException>(() => ModuleFormat.Save(new Sequential(shared, new Tanh(), shared)));
        Assert.Contains("'2'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'0'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryBitFlipIsReported()
    {
        Module model = new Sequential(new Linear(3, 2, generator: new Random(1)), new Tanh(), new Linear(2, 1, generator: new Random(2)));
        model.Eval();
        byte[] bytes = ModuleFormat.Save(model);
        Tensor<float> x = Tensor.Randn([4, 3], new Random(3));
        float[] expected = model.Forward(x).ToArray();

        for (int position = 0; position < bytes.Length; position++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] damaged = (byte[])bytes.Clone();
                damaged[position] ^= (byte)(1 << bit);
                Module? loaded = LoadOrReport(damaged, $"byte {position}, bit {bit}");
                if (loaded is not null)
                {
                    Assert.Equal(expected, loaded.Forward(x).ToArray()); // a flip the format tolerates must not change the model
                }
            }
        }
    }

    [Fact]
    public void EveryTruncationIsReported()
    {
        byte[] bytes = ModuleFormat.Save(new Sequential(new Linear(3, 2), new Gelu(), new Linear(2, 1)));
        for (int length = 0; length < bytes.Length; length++)
        {
            var fromSpan = Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(bytes.AsSpan(0, length)));
            using var stream = new MemoryStream(bytes, 0, length);
            var fromStream = Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(stream));
            if (length >= 4)
            {
                Assert.Contains("truncated", fromSpan.Message, StringComparison.Ordinal);
                Assert.Contains("truncated", fromStream.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void ANewerVersionIsNamedAsSuch()
    {
        byte[] bytes = ModuleFormat.Save(new Linear(2, 2));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 2);

        var error = Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(bytes));
        using var stream = new MemoryStream(bytes);
        var fromStream = Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(stream));

        Assert.Contains("written by a newer GdTrainer (format version 2; this build reads up to 1)", error.Message, StringComparison.Ordinal);
        Assert.Equal(error.Message, fromStream.Message);
    }

    [Fact]
    public void ALoadedModelCompilesToTheSameScorer()
    {
        var model = new Mlp(6, [16, 9], 2, Activation.Gelu, dropout: 0.2f, seed: 3);
        InferenceNetwork original = InferenceNetwork.Compile(model);
        InferenceNetwork loaded = InferenceNetwork.Compile(ModuleFormat.Load(ModuleFormat.Save(model)));

        var expected = new float[2];
        var actual = new float[2];
        var random = new Random(4);
        for (int r = 0; r < 20; r++)
        {
            float[] row = [.. Enumerable.Range(0, 6).Select(_ => (float)random.NextDouble())];
            original.Score(row, expected);
            loaded.Score(row, actual);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void OtherDataIsNotTakenForAModel()
    {
        using var stream = new MemoryStream();
        new Linear(2, 2).SaveParameters(stream);
        var error = Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(stream.ToArray()));
        Assert.Contains("magic", error.Message, StringComparison.Ordinal);

        byte[] withTrailer = [.. ModuleFormat.Save(new Relu()), 0];
        Assert.Contains("follow the end", Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(withTrailer)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AForgedRecordWithAbsurdSizesFailsWithoutAllocatingForThem()
    {
        // A correctly signed record (so the checksum passes) whose tree claims Linear(2^30, 2^30).
        byte[] tree = [1, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 1];
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(Signed([.. tree, .. new byte[64]])));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the loader allocated for the claimed size");
        Assert.Contains("input count", error.Message, StringComparison.Ordinal);

        // A Sequential claiming 2^31 - 1 children, an Mlp claiming 2^31 - 1 hidden layers.
        Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(Signed([4, 0xFF, 0xFF, 0xFF, 0x7F, 5, 5])));
        Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(Signed([3, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F, 1, 0, 0, 0])));

        // Sizes within the bytes but more parameters than the bytes hold: Mlp(8, [8, 8, 8], 8) with 16 bytes left.
        byte[] mlp = [3, 8, 0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Contains("parameters", Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(Signed([.. mlp, .. new byte[40]]))).Message, StringComparison.Ordinal);

        // Nesting deeper than any saved model: Sequential(Sequential(...)) 100 levels.
        byte[] deep = [.. Enumerable.Repeat<byte[]>([4, 1, 0, 0, 0], 100).SelectMany(b => b), 5];
        Assert.Contains("nested", Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(Signed(deep))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AForgedRecordWithAnUnknownTagOrMismatchedParametersIsReported()
    {
        Assert.Contains("type tag 99", Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(Signed([99]))).Message, StringComparison.Ordinal);
        Assert.Contains("not 0 or 1", Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(Signed([7, 2]))).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(Signed([10, 0, 0, 0xC0, 0x7F]))); // Dropout(NaN)
        Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(Signed([5]))); // a tree without its parameter record

        // The parameters of Linear(3, 2) under a tree that says Linear(2, 3): the shapes do not fit.
        byte[] saved = ModuleFormat.Save(new Linear(3, 2));
        byte[] payload = saved[48..];
        payload[1] = 2;
        payload[5] = 3;
        var error = Assert.Throws<InvalidDataException>(() => ModuleFormat.Load(Signed(payload)));
        Assert.Contains("shape mismatch for 'weight'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Loads, or returns null; fails the test on any exception other than <see cref="InvalidDataException"/>.</summary>
    private static Module? LoadOrReport(byte[] bytes, string what)
    {
        try
        {
            return ModuleFormat.Load(bytes);
        }
        catch (InvalidDataException)
        {
            return null;
        }
        catch (Exception exception)
        {
            Assert.Fail($"{what}: {exception.GetType().Name} instead of InvalidDataException: {exception.Message}");
            return null;
        }
    }

    /// <summary>A version-1 record around <paramref name="payload"/> with a correct length and checksum.</summary>
    private static byte[] Signed(byte[] payload)
    {
        var header = new byte[16];
        "GDTM"u8.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), 1);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), payload.Length);
        return [.. header, .. SHA256.HashData([.. header, .. payload]), .. payload];
    }

    private static T Randomised<T>(T module, int seed)
        where T : Module
    {
        var random = new Random(seed);
        using (Autograd.NoGrad())
        {
            foreach (Tensor<float> parameter in module.Parameters())
            {
                parameter.CopyFrom(Tensor.Randn(parameter.Shape, random).Data);
            }
        }

        return module;
    }

    private static string[] Names(Module module) => [.. module.NamedParameters().Select(p => $"{p.Name} {string.Join('x', p.Value.Shape.ToArray())} {p.Kind}")];

    private static float[][] Values(Module module) => [.. module.Parameters().Select(p => p.ToArray())];

    /// <summary>A user's own module: not describable.</summary>
    private sealed class Scale : Module
    {
        public override Tensor<float> Forward(Tensor<float> input) => input.Multiply(Tensor.Scalar(2f));
    }
}
