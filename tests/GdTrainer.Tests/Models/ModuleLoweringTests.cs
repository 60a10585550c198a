namespace GdTrainer.Tests.Models;

using GdTrainer.Autograd;
using GdTrainer.Models;
using GdTrainer.Models.Lowering;

/// <summary>
/// Each module type lowers itself into an <see cref="InferenceNetwork"/> (<see cref="Module.LowerForInference"/>): the network
/// has no list of module types, so every activation of the library, and a layer type it has never heard of, compile by
/// describing themselves.
/// </summary>
public sealed class ModuleLoweringTests
{
    public static TheoryData<Activation> Activations() => [.. Enum.GetValues<Activation>()];

    [Theory]
    [MemberData(nameof(Activations))]
    public void EveryActivationCompilesToItsOwnKernelAndScoresAsItsForward(Activation activation)
    {
        var module = new Sequential(
            new Linear(5, 9, generator: new Random(1)), Mlp.CreateActivation(activation),
            new Linear(9, 3, generator: new Random(2)), Mlp.CreateActivation(activation));
        module.Eval();

        InferenceNetwork network = InferenceNetwork.Compile(module);

        Assert.Equal([activation, activation], network.DenseLayers.Select(l => l.Activation));
        AssertScoresLikeForward(module, network, inputs: 5);
    }

    [Fact]
    public void ALayerTypeTheNetworkDoesNotKnowCompilesByLoweringItself()
    {
        var module = new Sequential(new Linear(4, 10, generator: new Random(3)), new Relu(), new Doubling(10), new Tanh(), new Linear(10, 2, generator: new Random(4)));
        module.Eval();

        InferenceNetwork network = InferenceNetwork.Compile(module);

        Assert.Equal([(4, 10, Activation.Relu), (10, 10, Activation.Tanh), (10, 2, (Activation?)null)], network.DenseLayers.Select(l => (l.Inputs, l.Outputs, l.Activation)));
        AssertScoresLikeForward(module, network, inputs: 4);
    }

    private static void AssertScoresLikeForward(Module module, InferenceNetwork network, int inputs)
    {
        Tensor<float> rows = Tensor.Randn([30, inputs], new Random(5));
        float[] expected;
        using (GdTrainer.Autograd.Autograd.NoGrad())
        {
            expected = module.Forward(rows).ToArray();
        }

        int k = network.OutputSize;
        var output = new float[k];
        for (int r = 0; r < 30; r++)
        {
            network.Score(rows.Data.Slice(r * inputs, inputs), output);
            for (int j = 0; j < k; j++)
            {
                float reference = expected[(r * k) + j];
                Assert.True(Math.Abs(output[j] - reference) <= 1e-6 * Math.Max(1, Math.Abs(reference)), $"row {r}, output {j}: {output[j]} vs Forward {reference}");
            }
        }
    }

    /// <summary>A layer type of its own, <c>y = 2x</c> on <c>[n, width]</c>, that lowers itself to a dense layer <c>2 I</c>.</summary>
    private sealed class Doubling(int width) : Module
    {
        public override Tensor<float> Forward(Tensor<float> input) => input.Multiply(Tensor.Scalar(2f));

        internal override string? LowerForInference(InferenceLowering lowering, string path)
        {
            var weights = new float[width * width];
            for (int i = 0; i < width; i++)
            {
                weights[(i * width) + i] = 2f;
            }

            lowering.AddDense(path, width, width, weights, new float[width]);
            return null;
        }
    }
}
