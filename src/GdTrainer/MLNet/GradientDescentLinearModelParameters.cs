namespace GdTrainer.MLNet;

using System.Globalization;

/// <summary>
/// The linear model learned by <see cref="GradientDescentRegressionTrainer"/>: <c>Score = Bias + dot(Features, Weights)</c>,
/// with the training loss of every epoch. Immutable.
/// </summary>
public sealed class GradientDescentLinearModelParameters
{
    private readonly float[] _weights;
    private readonly float[] _lossHistory;

    /// <summary>Creates the parameters from copies of the given values.</summary>
    /// <param name="weights">One weight per feature; at least one.</param>
    /// <param name="bias">The intercept.</param>
    /// <param name="lossHistory">The training loss of each epoch (may be empty for a model not trained here).</param>
    /// <param name="stopReason">Why training ended, or null for a model not trained here (or loaded from a file that does not record it).</param>
    /// <param name="rowCounts">The rows training used and skipped, by reason, or null for a model not trained here or loaded from a file.</param>
    /// <exception cref="ArgumentException">There are no weights, or a weight or the bias is NaN or infinite.</exception>
    public GradientDescentLinearModelParameters(
        ReadOnlySpan<float> weights, float bias, ReadOnlySpan<float> lossHistory, TrainingStopReason? stopReason = null, TrainingRowCounts? rowCounts = null)
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

        _weights = weights.ToArray();
        Bias = bias;
        _lossHistory = lossHistory.ToArray();
        StopReason = stopReason;
        RowCounts = rowCounts;
    }

    /// <summary>Why training ended (converged, epoch limit, cancelled); null for a model not trained here or loaded from a file.</summary>
    public TrainingStopReason? StopReason { get; }

    /// <summary>
    /// The input rows training used and the rows it left out, by reason (a NaN or infinite label, an example weight that is
    /// NaN, infinite, zero or negative, a NaN or infinite feature): check <c>RowCounts.Skipped</c> after training to know
    /// whether rows were dropped (set <see cref="GradientDescentRegressionTrainer.Options.InvalidRows"/> to
    /// <see cref="InvalidRowHandling.Error"/> to fail instead). Null for a model not trained here, and for a model loaded
    /// from a file: the counts describe the training data and are not saved with the model.
    /// </summary>
    public TrainingRowCounts? RowCounts { get; }

    /// <summary>The number of epochs training ran (the length of <see cref="LossHistory"/>).</summary>
    public int EpochsRun => _lossHistory.Length;

    /// <summary>One weight per feature, in the order of the feature vector.</summary>
    public IReadOnlyList<float> Weights => _weights;

    /// <summary>The intercept.</summary>
    public float Bias { get; }

    /// <summary>The number of features the model expects.</summary>
    public int FeatureCount => _weights.Length;

    /// <summary>
    /// The training loss of each epoch, in order: the (example-weighted) mean loss over the epoch's
    /// batches, each measured before that batch's update. The L2 penalty is not included.
    /// </summary>
    public IReadOnlyList<float> LossHistory => _lossHistory;

    /// <summary>The weights as a span, for scoring without copying.</summary>
    internal ReadOnlySpan<float> WeightSpan => _weights;

    /// <summary>A one-line description: bias and the first weights.</summary>
    public override string ToString()
    {
        int shown = Math.Min(_weights.Length, 8);
        string weights = string.Join(", ", _weights.Take(shown).Select(w => w.ToString("G6", CultureInfo.InvariantCulture)));
        return $"Score = {Bias.ToString("G6", CultureInfo.InvariantCulture)} + [{weights}{(_weights.Length > shown ? ", ..." : string.Empty)}] . Features";
    }
}
