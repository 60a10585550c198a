namespace GdTrainer.Optimizers;

/// <summary>How the learning rate changes over the steps of a training run.</summary>
public enum LearningRateSchedule
{
    /// <summary>The same learning rate at every step (PyTorch's default, no scheduler).</summary>
    Constant,

    /// <summary>
    /// Cosine annealing from the initial learning rate towards zero over all steps (PyTorch's
    /// <c>CosineAnnealingLR</c> with <c>T_max</c> = the total number of steps, <c>eta_min</c> = 0):
    /// step <c>t</c> of <c>T</c> uses <c>lr * (1 + cos(pi * t / T)) / 2</c>. Large steps early make fast
    /// progress; small steps late remove most of the noise that mini-batches leave in the weights.
    /// </summary>
    Cosine,

    /// <summary>
    /// The learning rate stays constant; each time the training loss reaches a plateau, the mini-batch grows tenfold
    /// (at most 3 times, up to every row), and the next plateau ends training. A tenfold batch removes as much gradient
    /// noise as a tenfold smaller rate (Smith et al., "Don't decay the learning rate, increase the batch size", 2018)
    /// without slowing the steps down, and a data set small enough to fit in one batch finishes with full-batch gradient
    /// descent, which has no noise and converges to the optimum itself. Applied by the trainer between epochs.
    /// </summary>
    Adaptive,
}
