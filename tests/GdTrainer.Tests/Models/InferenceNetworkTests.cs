namespace GdTrainer.Tests.Models;

using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using GdTrainer.Autograd;
using GdTrainer.Models;
using GdTrainer.Training;

/// <summary>The compiled row scorer (<see cref="InferenceNetwork"/>) against the modules' own forward pass.</summary>
public sealed class InferenceNetworkTests
{
    public static TheoryData<string> Models() => [.. s_models.Keys];

    private static readonly Dictionary<string, Func<Module>> s_models = new()
    {
        ["Mlp Relu"] = () => new Mlp(20, [64, 64], 1, Activation.Relu, seed: 1),
        ["Mlp Tanh dropout"] = () => new Mlp(20, [13, 37], 3, Activation.Tanh, dropout: 0.3f, seed: 2),
        ["Mlp Sigmoid"] = () => new Mlp(20, [8, 5], 9, Activation.Sigmoid, seed: 3),
        ["Mlp LeakyRelu dropout"] = () => new Mlp(20, [16], 2, Activation.LeakyRelu, dropout: 0.5f, seed: 4),
        ["Mlp Gelu"] = () => new Mlp(20, [24, 7], 1, Activation.Gelu, seed: 5),
        ["Mlp no hidden"] = () => new Mlp(20, [], 4, seed: 6),
        ["Sequential"] = () => new Sequential(
            new Linear(20, 12, generator: new Random(7)),
            new LeakyRelu(0.2f),
            new Linear(12, 11, bias: false, generator: new Random(8)),
            new Gelu(tanhApproximation: true),
            new Dropout(0.5f),
            new Sequential(new Linear(11, 6, generator: new Random(9)), new LeakyRelu(-1.5f)),
            new Linear(6, 40, generator: new Random(10)),
            new Gelu(),
            new Linear(40, 3, generator: new Random(11)),
            new Sigmoid()),
        ["Sequential one output then Tanh"] = () => new Sequential(new Linear(20, 9, generator: new Random(12)), new Relu(), new Linear(9, 1, generator: new Random(13)), new Tanh()),
        ["LinearModel"] = () => Randomised(new LinearModel(20), 14),
        ["Linear"] = () => new Linear(20, 5, generator: new Random(15)),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void ScoreEqualsTheModulesForwardInEvaluationMode(string name)
    {
        Module module = s_models[name]();
        module.Train(); // compiled as in evaluation mode whatever the module's mode
        InferenceNetwork network = InferenceNetwork.Compile(module);
        module.Eval();
        float[][] rows = Rows(50, network.InputSize, seed: 20);
        float[] expected = Forward(module, rows);

        var output = new float[network.OutputSize];
        for (int r = 0; r < rows.Length; r++)
        {
            network.Score(rows[r], output);
            for (int j = 0; j < output.Length; j++)
            {
                float reference = expected[(r * output.Length) + j];
                Assert.True(
                    Math.Abs(output[j] - reference) <= 1e-6 * Math.Max(1, Math.Abs(reference)),
                    $"{name}, row {r}, output {j}: {output[j]} vs Module.Forward {reference}");
            }
        }
    }

    [Fact]
    public void HiddenLayersReproduceTheEnginesForwardBitForBit()
    {
        // Without a one-output layer (which uses the linear scorer's Dot), every layer does the engine's arithmetic.
        Module module = new Sequential(new Linear(20, 13, generator: new Random(1)), new Relu(), new Linear(13, 16, generator: new Random(2)), new Tanh(), new Linear(16, 5, generator: new Random(3)));
        module.Eval();
        InferenceNetwork network = InferenceNetwork.Compile(module);
        float[][] rows = Rows(30, 20, seed: 4);
        float[] expected = Forward(module, rows);

        var output = new float[5];
        for (int r = 0; r < rows.Length; r++)
        {
            network.Score(rows[r], output);
            Assert.Equal(expected.AsSpan(r * 5, 5).ToArray(), output);
        }
    }

    [Fact]
    public void OneOutputLinearIsBitIdenticalToDotPlusBias()
    {
        var linearModel = Randomised(new LinearModel(20), 1);
        var linear = new Linear(20, 1, generator: new Random(2));
        float[][] rows = Rows(100, 20, seed: 3);
        var output = new float[1];
        foreach ((Module module, Tensor<float> weights, float bias) in new[] { ((Module)linearModel, linearModel.Weights, linearModel.Bias.Item()), (linear, linear.Weight, linear.Bias!.Item()) })
        {
            InferenceNetwork network = InferenceNetwork.Compile(module);
            foreach (float[] row in rows)
            {
                network.Score(row, output);
                Assert.Equal(TensorPrimitives.Dot(row, weights.Data) + bias, output[0]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ScoreSparseEqualsScoreOnTheDensifiedRow(string name)
    {
        InferenceNetwork network = InferenceNetwork.Compile(s_models[name]());
        var random = new Random(5);
        var dense = new float[network.OutputSize];
        var sparse = new float[network.OutputSize];
        bool exact = network.DenseLayers[0].Outputs > 1; // a one-output first layer sums term by term, as the linear scorer's sparse branch
        for (int r = 0; r < 50; r++)
        {
            var row = new float[network.InputSize];
            var indices = new List<int>();
            for (int i = 0; i < row.Length; i++)
            {
                if (random.NextDouble() < 0.3)
                {
                    row[i] = (float)((random.NextDouble() * 4) - 2);
                    indices.Add(i);
                }
            }

            network.Score(row, dense);
            network.ScoreSparse([.. indices], [.. indices.Select(i => row[i])], sparse);
            if (exact)
            {
                Assert.Equal(dense, sparse);
            }
            else
            {
                for (int j = 0; j < dense.Length; j++)
                {
                    Assert.Equal(dense[j], sparse[j], 1e-5f);
                }
            }
        }
    }

    [Fact]
    public void ASparseOneOutputRowSumsAsTheLinearScorer()
    {
        var model = Randomised(new LinearModel(10), 1);
        InferenceNetwork network = InferenceNetwork.Compile(model);
        int[] indices = [1, 4, 9];
        float[] values = [0.5f, -3f, 2.25f];
        float expected = 0f;
        for (int e = 0; e < values.Length; e++)
        {
            expected += values[e] * model.Weights.Data[indices[e]];
        }

        var output = new float[1];
        network.ScoreSparse(indices, values, output);
        Assert.Equal(expected + model.Bias.Item(), output[0]);

        network.ScoreSparse([], [], output);
        Assert.Equal(model.Bias.Item(), output[0]);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void InputStandardizationEqualsScoringTheStandardisedRow(string name)
    {
        InferenceNetwork network = InferenceNetwork.Compile(s_models[name]());
        var random = new Random(6);
        float[] offsets = [.. Enumerable.Range(0, network.InputSize).Select(_ => (float)((random.NextDouble() * 10) - 5))];
        float[] scales = [.. Enumerable.Range(0, network.InputSize).Select(_ => (float)(0.1 + (random.NextDouble() * 3)) * (random.Next(2) == 0 ? -1 : 1))];
        InferenceNetwork folded = network.WithInputStandardization(offsets, scales);

        var expected = new float[network.OutputSize];
        var actual = new float[network.OutputSize];
        foreach (float[] raw in Rows(30, network.InputSize, seed: 7))
        {
            float[] standardised = [.. raw.Select((x, i) => (float)((x - (double)offsets[i]) / scales[i]))];
            network.Score(standardised, expected);
            folded.Score(raw, actual);
            for (int j = 0; j < expected.Length; j++)
            {
                Assert.True(Math.Abs(actual[j] - expected[j]) <= 1e-5 * Math.Max(1, Math.Abs(expected[j])), $"{name}: {actual[j]} vs {expected[j]}");
            }
        }
    }

    [Fact]
    public void InputTransformFoldsExactlyAsTheTrainersFeatureTransform()
    {
        var model = Randomised(new LinearModel(20), 1);
        var random = new Random(2);
        float[] offsets = [.. Enumerable.Range(0, 20).Select(_ => (float)((random.NextDouble() * 10) - 5))];
        float[] multipliers = [.. Enumerable.Range(0, 20).Select(_ => (float)(0.1 + (random.NextDouble() * 3)))];
        float[] weights = model.Weights.ToArray();
        float bias = new FeatureTransform(offsets, multipliers).FoldInto(weights, model.Bias.Item());

        InferenceNetwork folded = InferenceNetwork.Compile(model).WithInputTransform(offsets, multipliers);

        Assert.Equal(weights, folded.DenseLayers[0].Weights.ToArray());
        Assert.Equal(bias, folded.DenseLayers[0].Bias.Span[0]);
        var output = new float[1];
        foreach (float[] row in Rows(20, 20, seed: 3))
        {
            folded.Score(row, output);
            Assert.Equal(TensorPrimitives.Dot(row, weights) + bias, output[0]);
        }
    }

    [Fact]
    public void TheLayersDescribeTheModule()
    {
        var mlp = new Mlp(4, [5], 2, Activation.LeakyRelu, dropout: 0.1f, seed: 1);
        InferenceNetwork network = InferenceNetwork.Compile(mlp);

        Assert.Equal((4, 2), (network.InputSize, network.OutputSize));
        Assert.Equal(2, network.DenseLayers.Count);
        DenseLayer first = network.DenseLayers[0];
        Assert.Equal((4, 5, Activation.LeakyRelu, 0.01f), (first.Inputs, first.Outputs, first.Activation, first.NegativeSlope));
        Assert.Equal(mlp.LinearLayers[0].Weight.ToArray(), first.Weights.ToArray());
        Assert.Equal(mlp.LinearLayers[0].Bias!.ToArray(), first.Bias.ToArray());
        Assert.Null(network.DenseLayers[1].Activation);

        var noBias = InferenceNetwork.Compile(new Sequential(new Linear(3, 2, bias: false), new Gelu(true)));
        Assert.Equal(new float[2], noBias.DenseLayers[0].Bias.ToArray());
        Assert.True(noBias.DenseLayers[0].GeluTanhApproximation);
    }

    [Fact]
    public void TheNetworkIsACopyOfTheParameters()
    {
        var mlp = new Mlp(3, [4], 1, seed: 1);
        InferenceNetwork network = InferenceNetwork.Compile(mlp);
        var before = new float[1];
        network.Score([1f, 2f, 3f], before);

        using (Autograd.NoGrad())
        {
            mlp.LinearLayers[0].Weight.Fill(5f);
        }

        var after = new float[1];
        network.Score([1f, 2f, 3f], after);
        Assert.Equal(before, after);
    }

    [Fact]
    public void ScoringAllocatesNothingAfterWarmUp()
    {
        InferenceNetwork[] networks =
        [
            InferenceNetwork.Compile(new Mlp(20, [64, 64], 1, Activation.Gelu, seed: 1)),
            InferenceNetwork.Compile(new Sequential(new Linear(20, 30), new LeakyRelu(0.1f), new Linear(30, 3), new Gelu(true))),
            InferenceNetwork.Compile(new LinearModel(20)),
        ];
        float[] row = Rows(1, 20, seed: 2)[0];
        int[] indices = [0, 5, 19];
        float[] values = [1f, -2f, 0.5f];
        var output = new float[3];
        foreach (InferenceNetwork network in networks)
        {
            Span<float> outputs = output.AsSpan(0, network.OutputSize);
            network.Score(row, outputs);
            network.ScoreSparse(indices, values, outputs);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                network.Score(row, outputs);
                network.ScoreSparse(indices, values, outputs);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Fact]
    public void ConcurrentScoringGivesTheSequentialResults()
    {
        InferenceNetwork wide = InferenceNetwork.Compile(new Mlp(20, [64, 48], 2, Activation.Gelu, seed: 1));
        InferenceNetwork narrow = InferenceNetwork.Compile(new Mlp(20, [6], 3, Activation.Tanh, seed: 2));
        float[][] rows = Rows(400, 20, seed: 3);
        float[][] sequential = [.. rows.Select(row => Scores(wide, narrow, row))];

        var results = new float[8][][];
        using var start = new Barrier(8);
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            var mine = new float[rows.Length][];
            for (int pass = 0; pass < 5; pass++)
            {
                for (int r = 0; r < rows.Length; r++)
                {
                    int index = (r + (t * 50)) % rows.Length; // the threads interleave different rows
                    mine[index] = Scores(wide, narrow, rows[index]);
                }
            }

            results[t] = mine;
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.All(results, result => Assert.Equal(sequential, result));
    }

    [Fact]
    public void UnsupportedModulesAreNamed()
    {
        var model = new Sequential(new Linear(2, 3), new Sequential(new Relu(), new Linear(3, 3)), new Scale());
        Assert.Null(InferenceNetwork.TryCompile(model));
        var error = Assert.Throws<NotSupportedException>(() => InferenceNetwork.Compile(model));
        Assert.Contains(typeof(Scale).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains("'2'", error.Message, StringComparison.Ordinal);

        var first = new Sequential(new Tanh(), new Linear(2, 2));
        Assert.Null(InferenceNetwork.TryCompile(first));
        Assert.Contains("no linear layer", Assert.Throws<NotSupportedException>(() => InferenceNetwork.Compile(first)).Message, StringComparison.Ordinal);

        var twice = new Sequential(new Linear(2, 2), new Tanh(), new Dropout(), new Relu());
        Assert.Contains("'3'", Assert.Throws<NotSupportedException>(() => InferenceNetwork.Compile(twice)).Message, StringComparison.Ordinal);
        Assert.Null(InferenceNetwork.TryCompile(new Sequential(new Dropout(), new Relu())));
    }

    [Fact]
    public void SizesAreChecked()
    {
        var mismatch = new Sequential(new Linear(3, 4), new Relu(), new Linear(5, 2));
        var error = Assert.Throws<ArgumentException>(() => InferenceNetwork.TryCompile(mismatch));
        Assert.Contains("'2' expects 5 inputs", error.Message, StringComparison.Ordinal);
        Assert.Contains("'0' gives 4 outputs", error.Message, StringComparison.Ordinal);

        InferenceNetwork network = InferenceNetwork.Compile(new Mlp(3, [4], 2, seed: 1));
        var output = new float[2];
        Assert.Contains("expects 3", Assert.Throws<ArgumentException>(() => network.Score(new float[4], output)).Message, StringComparison.Ordinal);
        Assert.Contains("gives 2", Assert.Throws<ArgumentException>(() => network.Score(new float[3], new float[1])).Message, StringComparison.Ordinal);
        Assert.Contains("index 3", Assert.Throws<ArgumentException>(() => network.ScoreSparse([0, 3], [1f, 1f], output)).Message, StringComparison.Ordinal);
        Assert.Contains("index -1", Assert.Throws<ArgumentException>(() => network.ScoreSparse([-1], [1f], output)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => network.ScoreSparse([0, 1], [1f], output));
        var shared = new float[3];
        Assert.Contains("overlaps", Assert.Throws<ArgumentException>(() => network.Score(shared, shared.AsSpan(1, 2))).Message, StringComparison.Ordinal);
        Assert.Contains("2 offsets", Assert.Throws<ArgumentException>(() => network.WithInputStandardization([0f, 0f], [1f, 1f, 1f])).Message, StringComparison.Ordinal);
        Assert.Contains("non-zero", Assert.Throws<ArgumentException>(() => network.WithInputStandardization([0f, 0f, 0f], [1f, 0f, 1f])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => network.WithInputTransform([0f, float.NaN, 0f], [1f, 1f, 1f]));
    }

    private static float[] Scores(InferenceNetwork wide, InferenceNetwork narrow, float[] row)
    {
        var result = new float[5];
        wide.Score(row, result.AsSpan(0, 2));
        narrow.Score(row, result.AsSpan(2, 3));
        return result;
    }

    private static float[] Forward(Module module, float[][] rows)
    {
        int d = rows[0].Length;
        var data = new float[rows.Length * d];
        for (int r = 0; r < rows.Length; r++)
        {
            rows[r].CopyTo(data, r * d);
        }

        using (Autograd.NoGrad())
        {
            return module.Forward(Tensor.From<float>(data, [rows.Length, d])).ToArray();
        }
    }

    private static float[][] Rows(int count, int width, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, width).Select(_ => (float)((random.NextDouble() * 6) - 3)).ToArray())];
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

    /// <summary>A user's own module: not compilable.</summary>
    private sealed class Scale : Module
    {
        public override Tensor<float> Forward(Tensor<float> input) => input.Multiply(Tensor.Scalar(2f));
    }
}
