namespace GdTrainer.Tests.Models;

using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;

/// <summary>
/// Buffers (PyTorch's <c>register_buffer</c>): state saved and loaded with the parameters but never trained, shown with a
/// module that keeps a running mean of its inputs.
/// </summary>
public sealed class ModuleBufferTests
{
    [Fact]
    public void BuffersAreNamedLikeParametersAndStayOutOfParameters()
    {
        var model = new Sequential(new Centering(3), new Linear(3, 2, generator: new Random(1)));

        Assert.Equal(["0.mean", "0.batches"], model.NamedBuffers().Select(b => b.Key));
        Assert.Same(((Centering)model[0]).Mean, model.NamedBuffers()[0].Value);
        Assert.Equal(["1.weight", "1.bias"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(2, model.Parameters().Count);
        Assert.DoesNotContain(model.Parameters(), p => model.NamedBuffers().Any(b => ReferenceEquals(b.Value, p)));

        // PyTorch's state_dict order: each module's parameters, then its buffers, then its children's entries.
        Assert.Equal(["0.mean", "0.batches", "1.weight", "1.bias"], model.GetStateDict().Keys);
        Assert.Equal(["weight", "mean", "batches"], new Centering(1, withWeight: true).GetStateDict().Keys);
    }

    [Fact]
    public void TheForwardPassUpdatesABufferAndTheOptimizerLeavesItAlone()
    {
        var model = new Sequential(new Centering(3), new Linear(3, 1, generator: new Random(2)));
        var optimizer = new SgdOptimizer(model.Parameters(), learningRate: 0.1f);
        Tensor<float> x = Tensor.From<float>([1f, 2f, 3f, 3f, 4f, 5f], [2, 3]);
        Tensor<float> y = Tensor.From<float>([1f, -1f], [2]);

        optimizer.ZeroGrad();
        new MeanSquaredErrorLoss().Compute(model.Forward(x), y).Backward();
        float[] afterForward = ((Centering)model[0]).Mean.ToArray();
        float[] weightBefore = ((Linear)model[1]).Weight.ToArray();
        optimizer.Step();

        Assert.Equal([2f, 3f, 4f], afterForward); // the column means of the one batch seen
        Assert.Equal(afterForward, ((Centering)model[0]).Mean.ToArray()); // untouched by the step
        Assert.Equal(1f, ((Centering)model[0]).Batches.Item());
        Assert.All(model.NamedBuffers(), b => Assert.Null(b.Value.Grad));
        Assert.NotEqual(weightBefore, ((Linear)model[1]).Weight.ToArray()); // while the parameters moved
    }

    [Fact]
    public void SaveParametersAndLoadParametersCarryTheBuffers()
    {
        Sequential trained = Trained(seed: 3);
        using var stream = new MemoryStream();
        trained.SaveParameters(stream);
        stream.Position = 0;

        var fresh = new Sequential(new Centering(3), new Linear(3, 2, generator: new Random(99)));
        fresh.LoadParameters(stream);

        Assert.Equal(((Centering)trained[0]).Mean.ToArray(), ((Centering)fresh[0]).Mean.ToArray());
        Assert.Equal(2f, ((Centering)fresh[0]).Batches.Item());
        Assert.Equal(Outputs(trained), Outputs(fresh));
    }

    [Fact]
    public void AStateDictSnapshotRestoresTheBuffersAfterMoreTraining()
    {
        Sequential model = Trained(seed: 4);
        StateDict snapshot = model.GetStateDict();
        float[] meanThen = ((Centering)model[0]).Mean.ToArray();
        float[] outputsThen = Outputs(model);

        model.Train();
        model.Forward(Tensor.Randn([4, 3], new Random(5)));
        Assert.NotEqual(meanThen, ((Centering)model[0]).Mean.ToArray());
        Assert.Equal(meanThen, snapshot["0.mean"].ToArray()); // the snapshot is a copy

        model.LoadStateDict(snapshot);

        Assert.Equal(meanThen, ((Centering)model[0]).Mean.ToArray());
        Assert.Equal(2f, ((Centering)model[0]).Batches.Item());
        Assert.Equal(outputsThen, Outputs(model));
    }

    [Fact]
    public void ParametersSavedWithoutTheBuffersStillLoadAndTheBuffersKeepTheirValues()
    {
        // A file saved before the module gained its buffers: the same parameter keys, no buffer entries.
        var older = new Sequential(new Relu(), new Linear(3, 2, generator: new Random(6)));
        using var stream = new MemoryStream();
        older.SaveParameters(stream);
        stream.Position = 0;

        var model = new Sequential(new Centering(3), new Linear(3, 2, generator: new Random(7)));
        model.LoadParameters(stream);

        Assert.Equal(((Linear)older[1]).Weight.ToArray(), ((Linear)model[1]).Weight.ToArray());
        Assert.Equal([0f, 0f, 0f], ((Centering)model[0]).Mean.ToArray());
        Assert.Equal(0f, ((Centering)model[0]).Batches.Item());
    }

    [Fact]
    public void AMisshapenOrUnknownBufferEntryIsReportedAndNothingChanges()
    {
        Sequential model = Trained(seed: 8);
        float[] weight = ((Linear)model[1]).Weight.ToArray();
        var wrongShape = new StateDict(model.GetStateDict().Keys.Select(k => new KeyValuePair<string, Tensor<float>>(
            k, k == "0.mean" ? Tensor.Zeros([4]) : Tensor.Zeros(model.GetStateDict()[k].Shape))));

        var error = Assert.Throws<InvalidDataException>(() => model.LoadStateDict(wrongShape));
        Assert.Contains("shape mismatch for '0.mean': the module expects [3] but the saved value is [4]", error.Message, StringComparison.Ordinal);
        Assert.Equal(weight, ((Linear)model[1]).Weight.ToArray());

        var extra = new StateDict([.. model.GetStateDict().Keys.Select(k => new KeyValuePair<string, Tensor<float>>(k, model.GetStateDict()[k])), new("0.variance", Tensor.Zeros([3]))]);
        Assert.Contains("unexpected key '0.variance'", Assert.Throws<InvalidDataException>(() => model.LoadStateDict(extra)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RegisterBufferRejectsTrainedTensorsHighRanksAndTakenNames()
    {
        Assert.Contains("RegisterParameter", Assert.Throws<ArgumentException>(() => new Registering(Tensor.Zeros([2], requiresGrad: true))).Message, StringComparison.Ordinal);
        Assert.Contains("rank 3", Assert.Throws<ArgumentException>(() => new Registering(Tensor.Zeros([2, 2, 2]))).Message, StringComparison.Ordinal);
        Assert.Contains("already has a parameter named 'weight'", Assert.Throws<ArgumentException>(() => new Registering(Tensor.Zeros([2]), name: "weight")).Message, StringComparison.Ordinal);
        Assert.Contains("contains a dot", Assert.Throws<ArgumentException>(() => new Registering(Tensor.Zeros([2]), name: "a.b")).Message, StringComparison.Ordinal);
    }

    /// <summary>A model whose <see cref="Centering"/> has seen two training batches.</summary>
    private static Sequential Trained(int seed)
    {
        var model = new Sequential(new Centering(3), new Linear(3, 2, generator: new Random(seed)));
        model.Forward(Tensor.Randn([5, 3], new Random(seed + 100)));
        model.Forward(Tensor.Randn([5, 3], new Random(seed + 200)));
        return model;
    }

    private static float[] Outputs(Module model)
    {
        model.Eval();
        using (GdTrainer.Autograd.Autograd.NoGrad())
        {
            return model.Forward(Tensor.Randn([6, 3], new Random(42))).ToArray();
        }
    }

    /// <summary>
    /// <c>x - mean</c> per column, where <c>mean</c> (a buffer) is the running mean of the column means of the training batches
    /// seen so far and <c>batches</c> (a scalar buffer) their count; optionally with an unused parameter, to show the order.
    /// </summary>
    private sealed class Centering : Module
    {
        public Centering(int width, bool withWeight = false)
        {
            if (withWeight)
            {
                RegisterParameter("weight", Tensor.Zeros([width], requiresGrad: true), ParameterKind.Weight);
            }

            Mean = RegisterBuffer("mean", Tensor.Zeros([width]));
            Batches = RegisterBuffer("batches", Tensor.Zeros([]));
        }

        public Tensor<float> Mean { get; }

        public Tensor<float> Batches { get; }

        public override Tensor<float> Forward(Tensor<float> input)
        {
            if (IsTraining)
            {
                using (GdTrainer.Autograd.Autograd.NoGrad())
                {
                    float count = Batches.Item() + 1f;
                    float[] batchMean = input.Mean(0).ToArray();
                    Span<float> mean = Mean.Data;
                    for (int j = 0; j < mean.Length; j++)
                    {
                        mean[j] += (batchMean[j] - mean[j]) / count;
                    }

                    Batches.Data[0] = count;
                }
            }

            return input.Subtract(Mean);
        }

        protected override bool ReadsTrainingMode => true;
    }

    /// <summary>Registers a parameter <c>weight</c>, then the given buffer.</summary>
    private sealed class Registering : Module
    {
        public Registering(Tensor<float> buffer, string name = "state")
        {
            RegisterParameter("weight", Tensor.Zeros([2], requiresGrad: true), ParameterKind.Weight);
            RegisterBuffer(name, buffer);
        }

        public override Tensor<float> Forward(Tensor<float> input) => input;
    }
}
