namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Autograd;
using GdTrainer.Models;
using GdTrainer.Training;

/// <summary>
/// A model trained by a GdTrainer trainer: the network (the linear model, an MLP, or a model from
/// <see cref="GradientDescentTrainerOptions.ModelFactory"/>) with the feature standardisation folded into its first layer,
/// so that it scores the raw features, plus the training history and the rows used. Immutable; scoring is thread-safe.
/// </summary>
public sealed class GradientDescentModelParameters
{
    private readonly Module _module;
    private readonly object _fallbackLock = new();

    /// <summary>Creates a linear model <c>Score = Bias + dot(Features, Weights)</c> from copies of the given values.</summary>
    /// <param name="weights">One weight per feature; at least one.</param>
    /// <param name="bias">The intercept.</param>
    /// <param name="lossHistory">The training loss of each epoch (may be empty for a model not trained here).</param>
    /// <exception cref="ArgumentException">There are no weights, or a weight or the bias is NaN or infinite.</exception>
    public GradientDescentModelParameters(ReadOnlySpan<float> weights, float bias, ReadOnlySpan<float> lossHistory)
        : this(LinearModule(weights, bias), null, HistoryOf(lossHistory, null), null)
    {
    }

    /// <summary>Creates the parameters of a trained (or loaded) module.</summary>
    /// <param name="module">The module as trained, on standardised features; it is put in evaluation mode and must not change afterwards.</param>
    /// <param name="standardization">The feature transform the module was trained behind (<c>(x - offset) * multiplier</c>), or null.</param>
    /// <param name="history">The training history.</param>
    /// <param name="rowCounts">The rows used and skipped in training, or null.</param>
    internal GradientDescentModelParameters(Module module, FeatureTransform? standardization, TrainingHistory history, TrainingRowCounts? rowCounts)
    {
        _module = module;
        _module.Eval();
        Standardization = standardization;
        History = history;
        RowCounts = rowCounts;
        InferenceNetwork? network = InferenceNetwork.TryCompile(module);
        if (network is not null && standardization is not null)
        {
            network = network.WithInputTransform(standardization.Offsets, standardization.Scales);
        }

        Network = network;
        if (network is not null)
        {
            FeatureCount = network.InputSize;
            OutputCount = network.OutputSize;
        }
        else
        {
            (FeatureCount, OutputCount) = ProbeSizes(module, standardization);
        }
    }

    /// <summary>The number of features the model expects.</summary>
    public int FeatureCount { get; }

    /// <summary>The number of outputs per row (1 for regression).</summary>
    public int OutputCount { get; }

    /// <summary>
    /// Whether the model is a single linear layer (<c>Score = Bias + dot(Features, Weights)</c>); then <see cref="Weights"/>
    /// and <see cref="Bias"/> describe it.
    /// </summary>
    public bool IsLinear => Network is { DenseLayers: [{ Activation: null }] };

    /// <summary>
    /// Each dense layer of the network, input side first, with its weights (row-major <c>[inputs, outputs]</c>), biases and
    /// the activation that follows it; the first layer's weights and biases include the feature standardisation, so the
    /// layers compute the score from the raw features. Empty for a model of a module type that cannot be compiled (see
    /// <see cref="GradientDescentTrainerOptions.ModelFactory"/>).
    /// </summary>
    public IReadOnlyList<DenseLayer> Layers => Network?.DenseLayers ?? [];

    /// <summary>The weights of a linear model, one per feature (standardisation folded in).</summary>
    /// <exception cref="InvalidOperationException">The model is not linear (<see cref="IsLinear"/>); use <see cref="Layers"/>.</exception>
    public IReadOnlyList<float> Weights => LinearLayer.WeightArray;

    /// <summary>The intercept of a linear model.</summary>
    /// <exception cref="InvalidOperationException">The model is not linear (<see cref="IsLinear"/>); use <see cref="Layers"/>.</exception>
    public float Bias => LinearLayer.BiasArray[0];

    /// <summary>The training history: per-epoch losses, learning rate, elapsed time, and why training stopped.</summary>
    public TrainingHistory History { get; }

    /// <summary>Why training ended (converged, early-stopped, epoch limit, cancelled); null for a model not trained here.</summary>
    public TrainingStopReason? StopReason => History.StopReason;

    /// <summary>The number of epochs training ran.</summary>
    public int EpochsRun => History.EpochsRun;

    /// <summary>The training loss of each epoch, in order (without any L2 penalty).</summary>
    public IReadOnlyList<float> LossHistory => History.TrainingLosses();

    /// <summary>
    /// The input rows training used and the rows it left out, by reason (a NaN or infinite label, an example weight that is
    /// NaN, infinite, zero or negative, a NaN or infinite feature): check <c>RowCounts.Skipped</c> after training to know
    /// whether rows were dropped (set <see cref="GradientDescentTrainerOptions.InvalidRows"/> to
    /// <see cref="InvalidRowHandling.Error"/> to fail instead). Null for a model not trained here, and for a model loaded
    /// from a file: the counts describe the training data and are not saved with the model.
    /// </summary>
    public TrainingRowCounts? RowCounts { get; }

    /// <summary>The compiled network (standardisation folded in), or null when the module cannot be compiled.</summary>
    internal InferenceNetwork? Network { get; }

    /// <summary>The module as trained, on standardised features (for saving).</summary>
    internal Module Module => _module;

    /// <summary>The standardisation the module was trained behind, or null.</summary>
    internal FeatureTransform? Standardization { get; }

    private DenseLayer LinearLayer => IsLinear
        ? Network!.DenseLayers[0]
        : throw new InvalidOperationException(
            $"The model has {(Network is null ? "a module that is not a chain of dense layers" : $"{Network.DenseLayers.Count} layers")}, so it has no single weight vector; read Layers instead.");

    /// <summary>Scores one dense row into <paramref name="output"/> (<see cref="OutputCount"/> values). Thread-safe; allocates nothing for compiled networks.</summary>
    internal void Score(ReadOnlySpan<float> features, Span<float> output)
    {
        if (Network is { } network)
        {
            network.Score(features, output);
            return;
        }

        ScoreWithModule(features, output);
    }

    /// <summary>Scores one sparse row of <see cref="FeatureCount"/> features given by its explicit entries.</summary>
    internal void ScoreSparse(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, Span<float> output)
    {
        if (Network is { } network)
        {
            network.ScoreSparse(indices, values, output);
            return;
        }

        var dense = new float[FeatureCount];
        for (int k = 0; k < indices.Length; k++)
        {
            dense[indices[k]] = values[k];
        }

        ScoreWithModule(dense, output);
    }

    /// <summary>A one-line description.</summary>
    public override string ToString()
    {
        if (IsLinear)
        {
            float[] weights = LinearLayer.WeightArray;
            int shown = Math.Min(weights.Length, 8);
            string listed = string.Join(", ", weights.AsSpan(0, shown).ToArray().Select(w => w.ToString("G6", CultureInfo.InvariantCulture)));
            return $"Score = {Bias.ToString("G6", CultureInfo.InvariantCulture)} + [{listed}{(weights.Length > shown ? ", ..." : string.Empty)}] . Features";
        }

        return Network is { } network
            ? $"{FeatureCount} features -> {string.Join(" -> ", network.DenseLayers.Select(l => $"{l.Outputs}{(l.Activation is { } a ? " " + a : string.Empty)}"))}"
            : $"{FeatureCount} features -> {_module.GetType().Name} -> {OutputCount}";
    }

    /// <summary>Scores with the module itself, for modules the network compiler does not know (allocates; serialised by a lock).</summary>
    private void ScoreWithModule(ReadOnlySpan<float> features, Span<float> output)
    {
        var row = new float[features.Length];
        Standardization?.Apply(features, row);
        if (Standardization is null)
        {
            features.CopyTo(row);
        }

        lock (_fallbackLock)
        {
            using (GdTrainer.Autograd.Autograd.NoGrad())
            {
                _module.Forward(Tensor.From<float>(row, [1, row.Length])).Data.CopyTo(output);
            }
        }
    }

    private static (int Features, int Outputs) ProbeSizes(Module module, FeatureTransform? standardization)
    {
        int features = standardization?.Offsets.Length
            ?? throw new InvalidOperationException($"The module {module.GetType().FullName} cannot be compiled and its input size is unknown.");
        using (GdTrainer.Autograd.Autograd.NoGrad())
        {
            Tensor<float> output = module.Forward(Tensor.Zeros([1, features]));
            return (features, output.Length);
        }
    }

    private static Module LinearModule(ReadOnlySpan<float> weights, float bias)
    {
        if (weights.IsEmpty)
        {
            throw new ArgumentException("A linear model needs at least one weight.", nameof(weights));
        }

        for (int i = 0; i < weights.Length; i++)
        {
            if (!float.IsFinite(weights[i]))
            {
                throw new ArgumentException($"Weight {i} is {weights[i]}; every weight must be finite.", nameof(weights));
            }
        }

        if (!float.IsFinite(bias))
        {
            throw new ArgumentException($"The bias is {bias}; it must be finite.", nameof(bias));
        }

        var model = new LinearModel(weights.Length);
        using (GdTrainer.Autograd.Autograd.NoGrad())
        {
            weights.CopyTo(model.Weights.Data);
            model.Bias.Data[0] = bias;
        }

        return model;
    }

    private static TrainingHistory HistoryOf(ReadOnlySpan<float> losses, TrainingStopReason? stopReason)
    {
        var epochs = new EpochReport[losses.Length];
        for (int i = 0; i < epochs.Length; i++)
        {
            epochs[i] = new EpochReport(i + 1, losses[i], float.NaN, float.NaN, 0, TimeSpan.Zero);
        }

        return new TrainingHistory(epochs, stopReason);
    }
}
