namespace GdTrainer.Training;

/// <summary>
/// The stopping rule users know from scikit-learn's <c>tol</c> and <c>n_iter_no_change</c>: an epoch improves
/// when its loss is below the best so far by more than a relative tolerance and more than the noise of its
/// measurement; after <c>patience</c> epochs in a row without improvement, the loss has reached a plateau.
/// </summary>
internal sealed class ConvergenceMonitor(float tolerance, int patience)
{
    private double _best = double.PositiveInfinity;
    private int _epochsWithoutImprovement;

    /// <summary>
    /// Records an epoch's loss, with the standard error of its measurement (0 when measured exactly): an improvement
    /// must exceed both the relative tolerance and that noise. True when the epoch completes a plateau (never when patience is 0).
    /// </summary>
    internal bool Observe(double loss, double noise = 0)
    {
        if (loss < _best - Math.Max(tolerance * Math.Abs(_best), noise) || double.IsPositiveInfinity(_best))
        {
            _epochsWithoutImprovement = 0;
        }
        else
        {
            _epochsWithoutImprovement++;
        }

        _best = Math.Min(_best, loss);
        return patience > 0 && _epochsWithoutImprovement >= patience;
    }

    /// <summary>The lowest loss observed so far.</summary>
    internal double Best => _best;

    /// <summary>Starts counting afresh (after the learning rate was lowered), keeping the best loss.</summary>
    internal void Restart() => _epochsWithoutImprovement = 0;
}
