namespace GdTrainer.MLNet;

using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;

/// <summary>
/// Trains a regression model by mini-batch gradient descent with the GdTrainer autograd engine: the linear model
/// <c>Score = Bias + dot(Features, Weights)</c> by default, a multilayer perceptron with
/// <see cref="GradientDescentTrainerOptions.HiddenLayers"/>, or any module from <see cref="GradientDescentTrainerOptions.ModelFactory"/>,
/// on the mean squared error or any <see cref="Loss"/>. Create it with <c>mlContext.Regression.Trainers.GradientDescent(...)</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>Characteristic</term><description>Value</description></listheader>
/// <item><term>Machine learning task</term><description>Regression</description></item>
/// <item><term>Is normalization required?</term><description>No: the trainer standardises the features itself (<see cref="GradientDescentTrainerOptions.FeatureStandardization"/>) and folds that into the first layer.</description></item>
/// <item><term>Is caching required?</term><description>No: the columns are read once into memory.</description></item>
/// <item><term>Input columns</term><description>Label: Single. Features: known-size vector of Single, or Single. Optional example weight: Single.</description></item>
/// <item><term>Output columns</term><description>Score: Single.</description></item>
/// </list>
/// Training reads the data with one cursor pass, then runs passes over shuffled mini-batches until a stopping rule holds:
/// the loss converges, the validation loss stops improving (<see cref="GradientDescentTrainerOptions.EarlyStopping"/>), or
/// <see cref="GradientDescentTrainerOptions.NumberOfEpochs"/> is reached. The model (<see cref="LinearModel"/>, <see cref="Mlp"/>),
/// the loss and the optimizer (<see cref="SgdOptimizer"/>, <see cref="AdamOptimizer"/>, ...) are separate pieces.
/// </remarks>
public sealed class GradientDescentRegressionTrainer : GradientDescentTrainerBase<GradientDescentRegressionTransformer, GradientDescentRegressionTrainer.Options>
{
    /// <summary>Creates the trainer; prefer <c>mlContext.Regression.Trainers.GradientDescent(options)</c>.</summary>
    /// <param name="options">The options; copied, so later changes to the object have no effect.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it and its value.</exception>
    /// <exception cref="ArgumentException">A column name is empty, or two options contradict each other.</exception>
    public GradientDescentRegressionTrainer(Options options)
        : base(options, static _ => RegressionTask.Instance)
    {
    }

    /// <summary>
    /// The options of <see cref="GradientDescentRegressionTrainer"/>. With the defaults (no hidden layers) the trainer reaches the
    /// least-squares optimum on raw features: it standardises them itself, derives the learning rate from their curvature, and
    /// grows the batch at each plateau until the training loss stops improving. The shared options (model, loss, optimizer,
    /// schedule, validation, early stopping, logging) are documented on <see cref="GradientDescentTrainerOptions"/>.
    /// </summary>
    public sealed class Options : GradientDescentTrainerOptions
    {
    }
}
