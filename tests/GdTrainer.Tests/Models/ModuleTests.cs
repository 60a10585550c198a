namespace GdTrainer.Tests.Models;

using GdTrainer.Autograd;
using GdTrainer.Models;

/// <summary>The <see cref="Module"/> base: registration, parameter order and names, children, train/eval mode.</summary>
public sealed class ModuleTests
{
    [Fact]
    public void SequentialNamesParametersLikePyTorch()
    {
        var model = new Sequential(new Linear(3, 4, generator: new Random(1)), new Relu(), new Linear(4, 2, bias: false, generator: new Random(2)), new Tanh(), new Linear(2, 1, generator: new Random(3)));

        IReadOnlyList<ModuleParameter> named = model.NamedParameters();
        Assert.Equal(["0.weight", "0.bias", "2.weight", "4.weight", "4.bias"], named.Select(p => p.Name));
        Assert.Equal([ParameterKind.Weight, ParameterKind.Bias, ParameterKind.Weight, ParameterKind.Weight, ParameterKind.Bias], named.Select(p => p.Kind));
        Assert.Equal([[3, 4], [4], [4, 2], [2], [1]], named.Select(p => p.Value.Shape.ToArray()));

        var first = (Linear)model[0];
        var last = (Linear)model[4];
        Assert.Same(first.Weight, named[0].Value);
        Assert.Same(first.Bias, named[1].Value);
        Assert.Same(last.Bias, named[4].Value);
        Assert.Equal(named.Select(p => p.Value), model.Parameters());
        Assert.Equal(["0", "1", "2", "3", "4"], model.NamedChildren().Select(c => c.Key));
        Assert.Same(model[3], model.NamedChildren()[3].Value);
        Assert.Equal(5, model.Count);
    }

    [Fact]
    public void MlpNestsItsLayersUnderLayers()
    {
        var mlp = new Mlp(5, [8, 6], 3, dropout: 0.2f, seed: 4);

        Assert.Equal(
            ["layers.0.weight", "layers.0.bias", "layers.3.weight", "layers.3.bias", "layers.6.weight", "layers.6.bias"],
            mlp.NamedParameters().Select(p => p.Name));
        Assert.Equal(["layers"], mlp.NamedChildren().Select(c => c.Key));
        Assert.Equal([typeof(Linear), typeof(Relu), typeof(Dropout), typeof(Linear), typeof(Relu), typeof(Dropout), typeof(Linear)],
            mlp.Layers.NamedChildren().Select(c => c.Value.GetType()));
        Assert.Equal([[5, 8], [8, 6], [6, 3]], mlp.LinearLayers.Select(l => new[] { l.InputSize, l.OutputSize }));
        Assert.Same(mlp.LinearLayers[1].Weight, mlp.Parameters()[2]);

        var plain = new Mlp(5, [8, 6], 1, Activation.Tanh);
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "layers.4.weight", "layers.4.bias"],
            plain.NamedParameters().Select(p => p.Name));
        Assert.Equal([6], plain.LinearLayers[2].Weight.Shape.ToArray());
    }

    [Fact]
    public void ParameterListsAreCachedAndAllocateNothing()
    {
        var mlp = new Mlp(3, [4], 2, seed: 1);
        Assert.Same(mlp.Parameters(), mlp.Parameters());
        Assert.Same(mlp.NamedParameters(), mlp.NamedParameters());
        mlp.ZeroGrad();
        long before = GC.GetAllocatedBytesForCurrentThread();
        mlp.Parameters();
        mlp.NamedParameters();
        mlp.ZeroGrad();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ARegistrationInADescendantAfterListingIsSeen()
    {
        var leaf = new Custom(register: m => m.AddParameter("a"));
        var root = new Sequential(new Sequential(leaf));
        Assert.Equal(["0.0.a"], root.NamedParameters().Select(p => p.Name));

        leaf.AddParameter("b");
        Assert.Equal(["0.0.a", "0.0.b"], root.NamedParameters().Select(p => p.Name));
        Assert.Equal(2, root.Parameters().Count);
    }

    [Fact]
    public void TrainAndEvalReachEveryDescendant()
    {
        var mlp = new Mlp(3, [4, 4], 1, dropout: 0.5f);
        List<Module> all = Descendants(mlp);
        Assert.Equal(1 + 1 + 7, all.Count); // Mlp, Sequential, Linear-Relu-Dropout twice and the output Linear
        Assert.All(all, m => Assert.True(m.IsTraining));

        mlp.Eval();
        Assert.All(all, m => Assert.False(m.IsTraining));

        mlp.Layers[1].Train();
        Assert.True(mlp.Layers[1].IsTraining);
        Assert.False(mlp.Layers[0].IsTraining);

        mlp.Train();
        Assert.All(all, m => Assert.True(m.IsTraining));

        mlp.Train(false);
        Assert.All(all, m => Assert.False(m.IsTraining));
    }

    [Fact]
    public void ASharedLayerIsListedOnce()
    {
        var shared = new Linear(2, 2, generator: new Random(5));
        var model = new Sequential(shared, new Relu(), shared);

        Assert.Equal(["0.weight", "0.bias"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(2, model.Parameters().Count);
    }

    [Fact]
    public void RegistrationRejectsBadNamesAndCycles()
    {
        Assert.Throws<ArgumentException>(() => new Custom(register: m => m.AddParameter("a.b")));
        Assert.Throws<ArgumentException>(() => new Custom(register: m => m.AddParameter(string.Empty)));
        ArgumentException duplicate = Assert.Throws<ArgumentException>(() => new Custom(register: m =>
        {
            m.AddParameter("w");
            m.AddChild("w", new Relu());
        }));
        Assert.Contains("'w'", duplicate.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Custom(register: m => m.AddChild("self", m)));
        Assert.Throws<ArgumentException>(() => new Custom(register: m => m.AddParameter("x", Tensor.Zeros([2]))));

        var outer = new Custom(register: _ => { });
        var inner = new Custom(register: m => m.AddChild("outer", outer));
        ArgumentException cycle = Assert.Throws<ArgumentException>(() => outer.AddChild("inner", inner));
        Assert.Contains("cycle", cycle.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OwnParametersComeBeforeChildren()
    {
        var model = new Custom(register: m =>
        {
            m.AddChild("head", new Linear(2, 3, generator: new Random(1)));
            m.AddParameter("scale");
            m.AddChild("tail", new Linear(3, 1, bias: false, generator: new Random(1)));
        });

        Assert.Equal(["scale", "head.weight", "head.bias", "tail.weight"], model.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void AFrozenParameterIsStillListed()
    {
        var model = new Sequential(new Linear(2, 2, generator: new Random(1)));
        ((Linear)model[0]).Weight.RequiresGrad = false;
        Assert.Equal(["0.weight", "0.bias"], model.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void LinearModelKeepsItsShapesAndNames()
    {
        var model = new LinearModel(3);
        Assert.Equal(["weight", "bias"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal([model.Weights, model.Bias], model.Parameters());
        Assert.Equal([3], model.Weights.Shape.ToArray());
        Assert.Equal([2], model.Forward(Tensor.Zeros([2, 3])).Shape.ToArray());
    }

    [Fact]
    public void ToStringPrintsTheTreeLikePyTorch()
    {
        var mlp = new Mlp(3, [4], 2, Activation.LeakyRelu, dropout: 0.25f);
        Assert.Equal(
            "Mlp(\n  (layers): Sequential(\n    (0): Linear(inputs: 3, outputs: 4, bias: true)\n    (1): LeakyRelu(negativeSlope: 0.01)\n" +
            "    (2): Dropout(p: 0.25)\n    (3): Linear(inputs: 4, outputs: 2, bias: true)\n  )\n)",
            mlp.ToString());
        Assert.Equal("Gelu(tanhApproximation: true)", new Gelu(true).ToString());
        Assert.Equal("LinearModel(inputSize: 2)", new LinearModel(2).ToString());
    }

    [Fact]
    public void ZeroGradClearsEveryParametersGradient()
    {
        var mlp = new Mlp(2, [3], 1, seed: 1);
        mlp.Forward(Tensor.Ones([4, 2])).Sum().Backward();
        Assert.All(mlp.Parameters(), p => Assert.Contains(p.Grad!.ToArray(), g => g != 0f));

        mlp.ZeroGrad();
        Assert.All(mlp.Parameters(), p => Assert.All(p.Grad!.ToArray(), g => Assert.Equal(0f, g)));
    }

    private static List<Module> Descendants(Module module)
    {
        var result = new List<Module> { module };
        foreach (KeyValuePair<string, Module> child in module.NamedChildren())
        {
            result.AddRange(Descendants(child.Value));
        }

        return result;
    }

    private sealed class Custom : Module
    {
        public Custom(Action<Custom> register) => register(this);

        public void AddParameter(string name, Tensor<float>? value = null) =>
            RegisterParameter(name, value ?? Tensor.Ones([1], requiresGrad: true), ParameterKind.Weight);

        public void AddChild(string name, Module child) => RegisterModule(name, child);

        public override Tensor<float> Forward(Tensor<float> input) => input;
    }
}
