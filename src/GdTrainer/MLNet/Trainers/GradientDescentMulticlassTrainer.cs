namespace GdTrainer.MLNet;

using GdTrainer.Losses;

/// <summary>
/// Trains a multiclass classifier by mini-batch gradient descent with the GdTrainer autograd engine: multinomial logistic
/// regression (one linear output per class, the cross-entropy over their softmax) by default, a multilayer perceptron with
/// <see cref="GradientDescentTrainerOptions.HiddenLayers"/>, or any module from <see cref="GradientDescentTrainerOptions.ModelFactory"/>
/// (it receives the class count as its number of outputs). Create it with <c>mlContext.MulticlassClassification.Trainers.GradientDescent(...)</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>Characteristic</term><description>Value</description></listheader>
/// <item><term>Machine learning task</term><description>Multiclass classification</description></item>
/// <item><term>Is normalization required?</term><description>No: the trainer standardises the features itself and folds that into the first layer.</description></item>
/// <item><term>Is caching required?</term><description>No: the columns are read once into memory.</description></item>
/// <item><term>Input columns</term><description>Label: a key type with a known count of 2 or more (<c>MapValueToKey</c>). Features: known-size vector of Single (dense or sparse), or Single. Optional example weight: Single.</description></item>
/// <item><term>Output columns</term><description>PredictedLabel: the label's key type with its key values. Score: vector of Single, the class probabilities.</description></item>
/// </list>
/// <para>
/// Labels: key <c>k</c> is class <c>k - 1</c>; the missing key 0 makes the row unusable, so it is skipped and counted under
/// <see cref="TrainingRowCounts.NonFiniteLabel"/> (or is an error with <see cref="InvalidRowHandling.Error"/>). A key type with an
/// unknown count (0) or a single key is an <see cref="ArgumentException"/> naming the column; usable rows that all have the same class
/// are an <see cref="InvalidOperationException"/>. A class of the key type that never appears in training keeps its output (the
/// softmax stays k-way) and gets a low probability.
/// </para>
/// <para>
/// Defaults that differ from regression: the loss is <see cref="CrossEntropyLoss"/> with <see cref="Options.LabelSmoothing"/> and
/// <see cref="Options.ClassWeights"/>; the output biases start at 0; for the linear model with plain SGD the learning rate is
/// derived from the data's curvature like regression's, times 4 (the softmax cross-entropy's curvature is at most 1/4 of the
/// squared error's), times the smallest over the largest class weight.
/// </para>
/// </remarks>
public sealed class GradientDescentMulticlassTrainer : GradientDescentTrainerBase<GradientDescentMulticlassTransformer, GradientDescentMulticlassTrainer.Options>
{
    /// <summary>Creates the trainer; prefer <c>mlContext.MulticlassClassification.Trainers.GradientDescent(options)</c>.</summary>
    /// <param name="options">The options; copied, so later changes to the object have no effect.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it and its value.</exception>
    /// <exception cref="ArgumentException">A column name is empty, a class weight is invalid, or two options contradict each other.</exception>
    public GradientDescentMulticlassTrainer(Options options)
        : base(options, CreateTask)
    {
    }

    /// <summary>The task with the options' label smoothing and class weights, after checking them.</summary>
    private static MulticlassTask CreateTask(Options options)
    {
        if ((options.LabelSmoothing != 0f || options.ClassWeights is not null) && options.Loss is not null)
        {
            throw new ArgumentException("LabelSmoothing and ClassWeights apply to the default loss only; with Options.Loss set, pass them to that loss (e.g. new CrossEntropyLoss(labelSmoothing, classWeights)).", nameof(options));
        }

        var task = new MulticlassTask(options.LabelSmoothing, options.ClassWeights);
        _ = task.DefaultLoss; // Checks the label smoothing and the class weights now, with the loss's messages.
        return task;
    }

    /// <summary>
    /// The options of <see cref="GradientDescentMulticlassTrainer"/>: the shared options (<see cref="GradientDescentTrainerOptions"/>)
    /// plus the label smoothing and class weights of the default loss.
    /// </summary>
    public sealed class Options : GradientDescentTrainerOptions
    {
        /// <summary>
        /// PyTorch's <c>label_smoothing</c> of <c>CrossEntropyLoss</c>, in [0, 1]: the target becomes <c>(1 - eps) onehot + eps / k</c>.
        /// Default: 0 (none). Cannot be combined with <see cref="GradientDescentTrainerOptions.Loss"/>.
        /// </summary>
        public float LabelSmoothing;

        /// <summary>
        /// PyTorch's <c>weight</c> of <c>CrossEntropyLoss</c>: one finite non-negative weight per key of the label, in key order (copied).
        /// Default: null (all 1). Cannot be combined with <see cref="GradientDescentTrainerOptions.Loss"/>.
        /// </summary>
        public float[]? ClassWeights;

        /// <summary>A copy that does not share <see cref="ClassWeights"/> with this one.</summary>
        internal override GradientDescentTrainerOptions Clone()
        {
            var copy = (Options)base.Clone();
            copy.ClassWeights = (float[]?)ClassWeights?.Clone();
            return copy;
        }
    }
}
