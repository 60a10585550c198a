namespace GdTrainer.Training;

/// <summary>
/// The stopping rule users know from scikit-learn's <c>tol</c> and <c>n_iter_no_change</c>: an epoch improves
/// when its loss is below the best so far by more than a relative tolerance, more than the noise of its
/// measurement and more than the precision floor of the loss (what float arithmetic can resolve); after
/// <c>patience</c> epochs in a row without improvement, the loss has reached a plateau. A loss at the precision
/// floor is a plateau at once: the fit is as exact as float allows, and no further epoch can show progress.
/// </summary>
internal sealed class ConvergenceMonitor(float tolerance, int patience)
{
    private double _best = double.PositiveInfinity;
    private int _epochsWithoutImprovement;

    /// <summary>
    /// The smallest loss the arithmetic can resolve (see <see cref="Losses.Loss.PrecisionFloor"/>); 0 until it is known.
    /// </summary>
    internal double PrecisionFloor { get; set; }

    /// <summary>
    /// Whether the best loss lies within <see cref="PrecisionFloor"/> of 0, where a loss that measures misfit is as small as
    /// float can resolve (a loss without a floor at 0, such as Poisson's negative log-likelihood, far below 0 is not).
    /// </summary>
    internal bool AtPrecisionFloor => Math.Abs(_best) <= PrecisionFloor;

    /// <summary>
    /// Records an epoch's loss, with the standard error of its measurement (0 when measured exactly): an improvement
    /// must exceed the relative tolerance, that noise and the precision floor. True when the epoch completes a plateau,
    /// or when the loss has reached the precision floor (never when patience is 0).
    /// </summary>
    internal bool Observe(double loss, double noise = 0)
    {
        if (loss < _best - Math.Max(Math.Max(tolerance * Math.Abs(_best), noise), PrecisionFloor) || double.IsPositiveInfinity(_best))
        {
            _epochsWithoutImprovement = 0;
        }
        else
        {
            _epochsWithoutImprovement++;
        }

        _best = Math.Min(_best, loss);
        return patience > 0 && (_epochsWithoutImprovement >= patience || AtPrecisionFloor);
    }

    /// <summary>The lowest loss observed so far.</summary>
    internal double Best => _best;

    /// <summary>
    /// Whether <paramref name="loss"/>, at a plateau, rose so far above the best that training is unstable rather than
    /// converged: by more than <paramref name="riseFactor"/> - 1 times the best's magnitude (measured from the best, so that
    /// a loss without a floor at 0 is judged by its own scale) and by more than the precision floor (a rise of rounding
    /// noise around a perfect fit is not divergence).
    /// </summary>
    internal bool IsRising(double loss, double riseFactor) => loss - _best > Math.Max((riseFactor - 1) * Math.Abs(_best), PrecisionFloor);

    /// <summary>Starts counting afresh (after the learning rate was lowered), keeping the best loss.</summary>
    internal void Restart() => _epochsWithoutImprovement = 0;
}
