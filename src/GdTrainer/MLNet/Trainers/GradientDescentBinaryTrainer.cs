namespace GdTrainer.MLNet;

using GdTrainer.Losses;

/// <summary>
/// Trains a binary classifier by mini-batch gradient descent with the GdTrainer autograd engine: logistic regression (the linear
/// model <c>Score = Bias + dot(Features, Weights)</c> on the binary cross-entropy of logits) by default, a multilayer perceptron
/// with <see cref="GradientDescentTrainerOptions.HiddenLayers"/>, or any module from <see cref="GradientDescentTrainerOptions.ModelFactory"/>.
/// Create it with <c>mlContext.BinaryClassification.Trainers.GradientDescent(...)</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>Characteristic</term><description>Value</description></listheader>
/// <item><term>Machine learning task</term><description>Binary classification</description></item>
/// <item><term>Is normalization required?</term><description>No: the trainer standardises the features itself and folds that into the first layer.</description></item>
/// <item><term>Is caching required?</term><description>No: the columns are read once into memory.</description></item>
/// <item><term>Input columns</term><description>Label: Boolean. Features: known-size vector of Single (dense or sparse), or Single. Optional example weight: Single.</description></item>
/// <item><term>Output columns</term><description>PredictedLabel: Boolean. Score: Single (the logit). Probability: Single (its sigmoid).</description></item>
/// </list>
/// <para>
/// Defaults that differ from regression: the loss is <see cref="BinaryCrossEntropyWithLogitsLoss"/> (with
/// <see cref="Options.PositiveClassWeight"/>); the output bias starts at the log-odds of the (weighted) positive rate instead of
/// at 0 (the optimum of the bias while the weights are 0); for the linear model with plain SGD the learning rate is derived
/// from the data's curvature like regression's, times 8 (the cross-entropy's curvature is at most 1/8 of the squared error's),
/// divided by the positive-class weight when it is above 1. A training set whose usable rows all have the same label is an
/// error (the logit would grow without bound).
/// </para>
/// </remarks>
public sealed class GradientDescentBinaryTrainer : GradientDescentTrainerBase<GradientDescentBinaryTransformer, GradientDescentBinaryTrainer.Options>
{
    /// <summary>Creates the trainer; prefer <c>mlContext.BinaryClassification.Trainers.GradientDescent(options)</c>.</summary>
    /// <param name="options">The options; copied, so later changes to the object have no effect.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it and its value.</exception>
    /// <exception cref="ArgumentException">A column name is empty, or two options contradict each other.</exception>
    public GradientDescentBinaryTrainer(Options options)
        : base(options, CreateTask)
    {
    }

    /// <summary>The task with the options' positive-class weight, after checking it.</summary>
    private static BinaryTask CreateTask(Options options)
    {
        if (options.PositiveClassWeight is float weight && !(float.IsFinite(weight) && weight > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(options), weight, "PositiveClassWeight must be positive and finite (null means 1).");
        }

        if (options.PositiveClassWeight is not null && options.Loss is not null)
        {
            throw new ArgumentException("PositiveClassWeight applies to the default loss only; with Options.Loss set, pass the weight to that loss (e.g. new BinaryCrossEntropyWithLogitsLoss(positiveClassWeight)).", nameof(options));
        }

        return new BinaryTask(options.PositiveClassWeight);
    }

    /// <summary>
    /// The options of <see cref="GradientDescentBinaryTrainer"/>: the shared options (<see cref="GradientDescentTrainerOptions"/>)
    /// plus the positive-class weight of the default loss.
    /// </summary>
    public sealed class Options : GradientDescentTrainerOptions
    {
        /// <summary>
        /// The weight of the positive class in the default loss (PyTorch's <c>pos_weight</c> of <c>BCEWithLogitsLoss</c>), e.g.
        /// negatives / positives for an imbalanced label; positive and finite. It cannot be combined with <see cref="GradientDescentTrainerOptions.Loss"/>.
        /// Default: null (1).
        /// </summary>
        public float? PositiveClassWeight;
    }
}
