namespace GdTrainer.Models;

using GdTrainer.Autograd;
using GdTrainer.Models.Lowering;
using GdTrainer.Models.Records;

/// <summary>
/// A multilayer perceptron: <see cref="Linear"/> layers with an activation (and optionally
/// <see cref="Dropout"/>) between them, as a <see cref="Sequential"/> child named <c>layers</c>
/// (torchvision's <c>ops.MLP</c> without normalisation). For hidden sizes <c>[h1, h2]</c> the chain is
/// <c>Linear(inputs, h1), act, [Dropout], Linear(h1, h2), act, [Dropout], Linear(h2, outputs)</c>, so parameter
/// keys read <c>layers.0.weight</c>, <c>layers.0.bias</c>, <c>layers.2.weight</c>, ... (with dropout,
/// <c>layers.3.weight</c>, ...). With <c>outputs == 1</c> the last layer, and so the model, returns <c>[n]</c>.
/// </summary>
/// <remarks>
/// Initialisation is PyTorch's for every <see cref="Linear"/>, drawn from <c>new Random(seed)</c> layer after
/// layer; the dropout layers draw their masks from a separate generator derived from the same seed, so
/// the initial weights do not depend on the dropout probability.
/// </remarks>
/// <example>
/// A PyTorch-tutorial training loop with the engine alone:
/// <code>
/// var model = new Mlp(inputs: 1, hidden: [32, 32], outputs: 1, Activation.Tanh, seed: 1);
/// var optimizer = new SgdOptimizer(model.Parameters(), learningRate: 0.1f);
/// var loss = new MeanSquaredErrorLoss();
/// for (int step = 0; step &lt; 1000; step++)
/// {
///     optimizer.ZeroGrad();
///     loss.Compute(model.Forward(x), y).Backward();   // x: [n, 1], y: [n]
///     optimizer.Step();
/// }
///
/// model.Eval();                                        // dropout off
/// using (Autograd.NoGrad()) { Tensor&lt;float&gt; fitted = model.Forward(x); }
/// using (var file = File.Create("model.bin")) { model.SaveParameters(file); }
/// </code>
/// </example>
public sealed class Mlp : Module
{
    private readonly Linear[] _linearLayers;

    /// <summary>Creates a multilayer perceptron.</summary>
    /// <param name="inputs">The number of input features, at least 1.</param>
    /// <param name="hidden">The width of each hidden layer, in order (each at least 1); empty makes a single <see cref="Linear"/> layer.</param>
    /// <param name="outputs">The number of outputs, at least 1; 1 makes the model return <c>[n]</c>.</param>
    /// <param name="activation">The nonlinearity after each hidden layer. Default: <see cref="Activation.Relu"/>.</param>
    /// <param name="dropout">The dropout probability after each hidden activation, in <c>[0, 1)</c>; 0 (the default) adds no dropout layers.</param>
    /// <param name="seed">Seeds the initial weights and the dropout masks. Default: 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is less than 1, the dropout is outside <c>[0, 1)</c>, or the activation is not defined.</exception>
    public Mlp(int inputs, IReadOnlyList<int> hidden, int outputs, Activation activation = Activation.Relu, float dropout = 0f, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        if (!(dropout >= 0f && dropout < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "The dropout probability of an Mlp must be in [0, 1).");
        }

        if (!Enum.IsDefined(activation))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }

        for (int i = 0; i < hidden.Count; i++)
        {
            if (hidden[i] < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(hidden), hidden[i], $"Hidden layer {i} has width {hidden[i]}; each hidden width must be at least 1.");
            }
        }

        InputSize = inputs;
        OutputSize = outputs;
        HiddenSizes = [.. hidden];
        ActivationFunction = activation;
        DropoutProbability = dropout;

        var initialisation = new Random(seed);
        var masks = new Random(unchecked(seed ^ 0x2545F491));
        var modules = new List<Module>();
        _linearLayers = new Linear[hidden.Count + 1];
        _dropouts = new Dropout?[hidden.Count];
        int width = inputs;
        for (int i = 0; i < hidden.Count; i++)
        {
            _linearLayers[i] = new Linear(width, hidden[i], bias: true, initialisation);
            modules.Add(_linearLayers[i]);
            modules.Add(CreateActivation(activation));
            if (dropout > 0f)
            {
                _dropouts[i] = new Dropout(dropout, new Random(masks.Next()));
                modules.Add(_dropouts[i]!);
            }

            width = hidden[i];
        }

        _linearLayers[^1] = new Linear(width, outputs, bias: true, initialisation);
        modules.Add(_linearLayers[^1]);
        Layers = RegisterModule("layers", new Sequential([.. modules]));
    }

    private readonly Dropout?[] _dropouts;

    /// <summary>The number of input features.</summary>
    public int InputSize { get; }

    /// <summary>The number of outputs.</summary>
    public int OutputSize { get; }

    /// <summary>The hidden layer widths, in order.</summary>
    public IReadOnlyList<int> HiddenSizes { get; }

    /// <summary>The nonlinearity after each hidden layer.</summary>
    public Activation ActivationFunction { get; }

    /// <summary>The dropout probability after each hidden activation (0: no dropout layers).</summary>
    public float DropoutProbability { get; }

    /// <summary>The whole chain (the child <c>layers</c>): linear layers, activations and dropout layers.</summary>
    public Sequential Layers { get; }

    /// <summary>The <see cref="Linear"/> layers alone, from the first (taking the inputs) to the last (giving the outputs).</summary>
    public IReadOnlyList<Linear> LinearLayers => _linearLayers;

    /// <summary>The last linear layer's bias.</summary>
    public override Tensor<float>? OutputBias => _linearLayers[^1].Bias;

    /// <summary>The widths and activation, such as <c>an MLP 20 -> 64 -> 64 (Relu) -> 1</c>.</summary>
    public override string Describe() => $"an MLP {InputSize} -> {string.Join(" -> ", HiddenSizes)} ({ActivationFunction}) -> {OutputSize}";

    /// <summary>Applies the chain.</summary>
    /// <param name="input">A <c>[n, InputSize]</c> tensor.</param>
    /// <returns>A <c>[n, OutputSize]</c> tensor, or <c>[n]</c> when <c>OutputSize == 1</c>.</returns>
    /// <exception cref="ArgumentException">The input is not of shape <c>[n, InputSize]</c>.</exception>
    /// <remarks>
    /// With <see cref="Activation.Relu"/>, each hidden layer runs as one fused <see cref="Functional.LinearRelu"/> node
    /// (the same values and gradients as the <see cref="Linear"/> and <see cref="Relu"/> children of <see cref="Layers"/>, which
    /// apply them separately): forward and backward of 20-64-64-1 on 256 rows measured ~2x faster fused.
    /// </remarks>
    public override Tensor<float> Forward(Tensor<float> input)
    {
        if (ActivationFunction != Activation.Relu)
        {
            return Layers.Forward(input);
        }

        ArgumentNullException.ThrowIfNull(input);
        Tensor<float> x = input;
        for (int i = 0; i < _dropouts.Length; i++)
        {
            Linear layer = _linearLayers[i];
            if (i == 0 && (x.Rank != 2 || x.Shape[1] != InputSize))
            {
                return Layers.Forward(input); // Let the first layer report the shape error in its own words.
            }

            x = Functional.LinearRelu(x, layer.Weight, layer.Bias!);
            if (_dropouts[i] is { } dropout)
            {
                x = dropout.Forward(x);
            }
        }

        return _linearLayers[^1].Forward(x);
    }

    /// <summary>A new module computing <paramref name="activation"/> with its default settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The activation is not defined.</exception>
    public static Module CreateActivation(Activation activation) => activation switch
    {
        Activation.Relu => new Relu(),
        Activation.Tanh => new Tanh(),
        Activation.Sigmoid => new Sigmoid(),
        Activation.LeakyRelu => new LeakyRelu(),
        Activation.Gelu => new Gelu(),
        Activation.Silu => new Silu(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };

    /// <summary>The chain of <see cref="Layers"/> (the fused ReLU path computes the same values).</summary>
    internal override string? LowerForInference(InferenceLowering lowering, string path) => lowering.LowerChild(path, "layers", Layers);

    /// <summary>
    /// Format record (tag 3): inputs int32, hidden count int32, each hidden width int32, outputs int32, activation byte (the
    /// <see cref="Activation"/> value), dropout float32. The chain of <see cref="Layers"/> is rebuilt from these, not saved.
    /// </summary>
    internal override void WriteRecord(ModuleRecordWriter writer)
    {
        writer.Write(InputSize);
        writer.Write(HiddenSizes.Count);
        foreach (int width in HiddenSizes)
        {
            writer.Write(width);
        }

        writer.Write(OutputSize);
        writer.Write((byte)ActivationFunction);
        writer.Write(DropoutProbability);
    }

    /// <summary>Reads what <see cref="WriteRecord"/> writes.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader)
    {
        int inputs = reader.Size("input count");
        int hiddenCount = reader.Int32("hidden layer count");
        if (hiddenCount < 0 || hiddenCount > reader.Remaining / 4)
        {
            throw ModuleRecordReader.Damaged($"{reader.Where} states {hiddenCount} hidden layers, more than the remaining {reader.Remaining} bytes can describe");
        }

        var hidden = new int[hiddenCount];
        for (int i = 0; i < hidden.Length; i++)
        {
            hidden[i] = reader.Size($"hidden width {i}");
        }

        int outputs = reader.Size("output count");
        byte activation = reader.Byte("activation");
        if (!Enum.IsDefined((Activation)activation))
        {
            throw ModuleRecordReader.Damaged($"{reader.Where} names activation {activation}, which is not one of the {nameof(Models.Activation)} values");
        }

        float dropout = reader.Single("dropout probability");
        if (!(dropout >= 0f && dropout < 1f))
        {
            throw ModuleRecordReader.Damaged($"{reader.Where} has the dropout probability {dropout}, outside [0, 1)");
        }

        double count = 0;
        double width = inputs;
        foreach (int next in hidden)
        {
            count += (width * next) + next;
            width = next;
        }

        count += (width * outputs) + outputs;
        return new ModuleRecord(count, () => new Mlp(inputs, hidden, outputs, (Activation)activation, dropout));
    }

    /// <inheritdoc/>
    internal override Tensor<float> ForwardSparse(SparseRows input) => Layers.ForwardSparse(input);
}
