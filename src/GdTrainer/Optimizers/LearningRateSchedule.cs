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
}
