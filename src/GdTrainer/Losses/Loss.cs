namespace GdTrainer.Losses;

using GdTrainer.Autograd;

/// <summary>
/// A training objective: a differentiable scalar computed from a batch of predictions and targets,
/// optionally weighting each example (PyTorch's loss modules with <c>reduction='mean'</c>). Trainers
/// depend only on this type, so any loss can replace <see cref="MeanSquaredErrorLoss"/> without changing
/// the trainer.
/// </summary>
/// <remarks>
/// <para>
/// Shapes: a batch holds <c>n</c> examples; predictions are <c>[n]</c> (one output per example) or
/// <c>[n, k]</c> (k outputs per example). Each loss documents the targets it accepts (the predictions'
/// shape for the regression and binary losses, <c>[n]</c> class indices for <see cref="CrossEntropyLoss"/>).
/// </para>
/// <para>
/// Weighting: without weights the loss is the plain mean of the pointwise losses over all elements. With
/// example weights <c>w</c> (shape <c>[n]</c>, one per example) it is the weighted mean
/// <c>sum_i w_i l_i / sum_i w_i</c>, where for <c>[n, k]</c> predictions <c>l_i</c> is the mean over the
/// example's k outputs; so weights of all 1 give the unweighted loss, and scaling every weight by the same
/// factor changes nothing. Weights are constants (no gradient flows to them) and must be finite and
/// non-negative with a positive sum; otherwise an <see cref="ArgumentException"/> names the offending weight.
/// A weight of 0 removes the example.
/// </para>
/// <para>
/// A custom loss derives from this class and writes <see cref="Compute"/> with tensor operations
/// (<see cref="Tensor{T}.Abs"/>, <see cref="Tensor{T}.Exp"/>, <see cref="Tensor{T}.Sum()"/>, ...); autograd
/// differentiates it, so no backward code is needed. The built-in losses are single fused graph nodes.
/// </para>
/// <para>
/// The trainers call <see cref="Compute"/> for the micro-shards of a batch on several threads at once
/// (<see cref="Training.TrainerSettings.NumberOfThreads"/>), each on its own rows: keep it free of state it changes, as the
/// built-in losses are, and make it a (weighted) mean over the rows, so that the shards' losses, weighted by their shares of the
/// batch's weight, add up to the batch's.
/// </para>
/// </remarks>
public abstract class Loss
{
    /// <summary>Computes the loss of a batch as a scalar tensor, recording the graph when grad mode is on.</summary>
    /// <param name="predictions">The model's outputs, shape <c>[n]</c> or <c>[n, k]</c> (see the derived class).</param>
    /// <param name="targets">The true values, shape as the derived class documents (usually the predictions' shape).</param>
    /// <param name="weights">Optional per-example weights, shape <c>[n]</c>, finite and non-negative with a positive sum; null weighs every example 1.</param>
    /// <returns>A scalar tensor.</returns>
    /// <exception cref="ArgumentException">The shapes do not fit (the message names them), or a weight is invalid.</exception>
    public abstract Tensor<float> Compute(Tensor<float> predictions, Tensor<float> targets, Tensor<float>? weights = null);

    /// <summary>
    /// For a linear model trained by plain SGD: the factor the least-squares learning rate (<see cref="Training.LearningRateEstimate"/>)
    /// is multiplied by, from the bound of this loss's second derivative in the prediction against the squared error's (2);
    /// null when the loss has no such bound, so that no rate can be derived from the data and the optimizer's default is used.
    /// </summary>
    internal virtual float? LinearRateFactor => null;

    /// <summary>
    /// The smallest loss float arithmetic can resolve for this loss on data of this scale: below it a loss is rounding noise
    /// around a perfect fit, and a rise or fall of the loss there says nothing about the learning rate. Predictions carry a
    /// rounding error of about <c>sqrt(d + 1) * eps</c> times the label scale (a dot product of <c>d + 1</c> float terms,
    /// <c>eps = 2^-23</c>), so a loss that squares the residual cannot resolve less than that squared, times the larger of the
    /// labels' mean square and the initial loss; a factor of 4 leaves room for the rounding of the standardised features.
    /// A loss that grows like the residual itself (<see cref="L1Loss"/>) overrides this with the unsquared figure.
    /// </summary>
    /// <param name="labelSquareMean">The (weighted) mean of the squared labels.</param>
    /// <param name="initialLoss">The loss of the first step, before any update.</param>
    /// <param name="featureCount">The number of input features.</param>
    internal virtual double PrecisionFloor(double labelSquareMean, double initialLoss, int featureCount)
    {
        double resolution = RelativeResolution(featureCount);
        return resolution * resolution * Math.Max(labelSquareMean, Math.Abs(initialLoss));
    }

    /// <summary>The relative rounding error of a prediction over <paramref name="featureCount"/> float features: <c>2 sqrt(d + 1) 2^-23</c>.</summary>
    internal static double RelativeResolution(int featureCount) => 2 * Math.Sqrt(featureCount + 1.0) * Math.Pow(2, -23);
}
