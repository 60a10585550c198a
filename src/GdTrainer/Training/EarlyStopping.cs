namespace GdTrainer.Training;

/// <summary>
/// Stops training when the validation loss has stopped improving (Keras' <c>EarlyStopping(monitor="val_loss")</c>,
/// skorch's <c>EarlyStopping</c>), and optionally restores the weights of the best epoch. Needs validation data: a
/// <c>ValidationFraction</c> above 0 or the <c>Fit(trainData, validationData)</c> overload.
/// </summary>
public sealed class EarlyStopping
{
    /// <summary>
    /// The number of epochs in a row without an improvement of the validation loss after which training stops (&gt;= 1).
    /// Default: 10.
    /// </summary>
    public int Patience { get; init; } = 10;

    /// <summary>
    /// The smallest decrease of the validation loss, in the loss's own units, that counts as an improvement (&gt;= 0)
    /// (Keras' <c>min_delta</c>). Default: 0.
    /// </summary>
    public float MinDelta { get; init; }

    /// <summary>
    /// The smallest decrease of the validation loss, as a fraction of the best so far, that counts as an improvement (&gt;= 0):
    /// 0.01 asks every improvement to be at least 1% of the loss, which stops a loss that keeps creeping down (scikit-learn's
    /// relative <c>tol</c> applied to the validation loss). An improvement must exceed both this and <see cref="MinDelta"/>.
    /// Default: 0.
    /// </summary>
    public float MinRelativeDelta { get; init; }

    /// <summary>
    /// Whether the trained model gets the weights of the epoch with the lowest validation loss (true), or those of the last
    /// epoch run (false). Default: true.
    /// </summary>
    public bool RestoreBestWeights { get; init; } = true;

    /// <summary>Checks the settings; the message names the property and its value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    internal void Validate()
    {
        if (Patience < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Patience), Patience, $"EarlyStopping.Patience must be at least 1 epoch, but was {Patience}.");
        }

        if (!(MinDelta >= 0f) || !float.IsFinite(MinDelta))
        {
            throw new ArgumentOutOfRangeException(nameof(MinDelta), MinDelta, $"EarlyStopping.MinDelta must be a finite number >= 0, but was {MinDelta}.");
        }

        if (!(MinRelativeDelta >= 0f) || !float.IsFinite(MinRelativeDelta))
        {
            throw new ArgumentOutOfRangeException(nameof(MinRelativeDelta), MinRelativeDelta, $"EarlyStopping.MinRelativeDelta must be a finite number >= 0 (a fraction of the best validation loss, e.g. 0.01), but was {MinRelativeDelta}.");
        }
    }
}
