namespace GdTrainer.MLNet;

using GdTrainer.Training;

/// <summary>
/// The default L2 penalty of the linear classifiers (binary and multiclass; not regression), in one place for every data path
/// that trains them: <c>λ = 1 / n</c>, where <c>n</c> is the number of rows the loss averages over (the training rows after any
/// validation hold-out; example weights do not change it), on the objective <c>mean loss + (λ / 2) Σ_j (w_j u_j)²</c>, where
/// <c>w_j</c> is the weight of raw feature j and <c>u_j</c> its penalty unit: the standard deviation for most columns (so the
/// penalty acts on the weights of the standardised features, whatever their scale), and 1 for an indicator column (every
/// value 0 or 1: a one-hot category, a flag), whose weight is the category's effect on the logit.
/// </summary>
/// <remarks>
/// <para>
/// Why <c>1 / n</c>: it is the anchors' default written for a mean loss. ML.NET's L-BFGS logistic regression and maximum entropy
/// minimise <c>(Σ_i l_i + (L2Regularization / 2) ||w||²) / n</c> with <c>L2Regularization = 1</c>, and scikit-learn's
/// <c>LogisticRegression(C = 1)</c> minimises <c>C Σ_i l_i + ||w||² / 2</c>: both are the mean loss plus <c>||w||² / (2 n)</c>.
/// The penalty fades as data grows (adult, 26,000 rows: λ = 3.8e-5, no measurable change), and keeps small or separable data
/// from driving the weights (and the probabilities) to extremes.
/// </para>
/// <para>
/// Why indicator columns per unit: standardising a rare category's column (a 1 in 1% of the rows) multiplies it by about 10,
/// so a penalty on its standardised weight is 100 times weaker than on the category's effect; its weight is then fitted to a
/// handful of rows. Penalised per unit (as L-BFGS and scikit-learn do on one-hot columns, and as Gelman et al. 2008 recommend
/// for binary inputs), rare categories are shrunk the most. On a credit-approval-like set (690 rows, nine one-hot categoricals)
/// this took the 5-fold log-loss from 6.2% above L-BFGS's (standardised penalty) to 1.2% above (docs/benchmarks.md, issue 19).
/// Columns that are not 0/1 (counts, pixels, L2-normalised text n-grams) keep the standard-deviation unit: penalising
/// once-seen n-grams per unit instead raised the log-loss on the 250-row Wikipedia detox set from 0.72 to 0.87.
/// </para>
/// <para>
/// How the unit is applied: an indicator column is centred but not scaled for training (its standardisation scale is 1), so
/// the one coefficient λ on the standardised weights is the penalty per unit for it and per standard deviation for the
/// others. The transform folds back into the weights as before, so the model scores raw features either way.
/// </para>
/// </remarks>
internal static class DefaultRegularization
{
    /// <summary>
    /// The default L2 coefficient λ of a linear classifier trained on <paramref name="trainingRows"/> rows: <c>1 / n</c>, for the
    /// penalty <c>(λ / 2) Σ_j (w_j u_j)²</c> added to the mean loss (see the class remarks for the units <c>u_j</c>).
    /// </summary>
    /// <param name="trainingRows">The rows the loss averages over (after a validation hold-out); at least 1.</param>
    /// <returns>The coefficient, in (0, 1].</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="trainingRows"/> is below 1.</exception>
    internal static float LinearClassifierL2(int trainingRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trainingRows, 1);
        return 1f / trainingRows;
    }

    /// <summary>
    /// Whether a column is an indicator: every value is 0 or 1 (and both occur). Decided from its statistics alone: its range is
    /// [0, 1] and its variance equals <c>mean (1 - mean)</c>, which for values in [0, 1] holds only when every value is 0 or 1
    /// (the Bhatia–Davis bound); the comparison allows for the rounding of the moments.
    /// </summary>
    /// <param name="mean">The column's (weighted) mean.</param>
    /// <param name="variance">The column's (weighted, population) variance.</param>
    /// <param name="minimum">Its smallest value.</param>
    /// <param name="maximum">Its largest value.</param>
    internal static bool IsIndicator(double mean, double variance, float minimum, float maximum)
    {
        if (minimum != 0f || maximum != 1f)
        {
            return false;
        }

        double bound = mean * (1 - mean);
        return bound > 0 && Math.Abs(variance - bound) <= 1e-6 * bound;
    }

    /// <summary>
    /// The standardisation <paramref name="transform"/> with every indicator column centred but not scaled (scale 1), so that
    /// a penalty on the standardised weights acts per unit on indicators and per standard deviation on the other columns.
    /// </summary>
    /// <param name="transform">The standardisation computed from <paramref name="statistics"/>.</param>
    /// <param name="statistics">The training rows' per-column statistics.</param>
    /// <returns>A new transform; <paramref name="transform"/> itself is not changed.</returns>
    internal static FeatureTransform WithIndicatorsPerUnit(FeatureTransform transform, FeatureStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(transform);
        ArgumentNullException.ThrowIfNull(statistics);
        float[] scales = (float[])transform.Scales.Clone();
        for (int j = 0; j < scales.Length; j++)
        {
            if (IsIndicator(statistics.Means[j], statistics.Variances[j], statistics.Minimum[j], statistics.Maximum[j]))
            {
                scales[j] = 1f;
            }
        }

        return new FeatureTransform((float[])transform.Offsets.Clone(), scales);
    }
}
