namespace GdTrainer.Training;

/// <summary>
/// What one pass over the training rows learns about them, for standardisation, the precision floor of the loss and
/// error messages: each feature's (example-weighted) mean, variance, smallest and largest value, and the labels'
/// weighted mean and mean square, and the summary its task checks the labels by. Computed while a source reads its rows;
/// immutable once built.
/// </summary>
internal sealed class FeatureStatistics
{
    internal FeatureStatistics(double[] means, double[] variances, float[] minimum, float[] maximum, double totalWeight, double labelMean, double labelSquareMean, LabelSummary labels, double[]? presence = null)
    {
        Presence = presence;
        Means = means;
        Variances = variances;
        Minimum = minimum;
        Maximum = maximum;
        TotalWeight = totalWeight;
        LabelMean = labelMean;
        LabelSquareMean = labelSquareMean;
        Labels = labels;
    }

    /// <summary>
    /// For sparse rows, the fraction of the rows in which each feature is stored (non-zero); null for dense rows (where every
    /// feature is present in every row).
    /// </summary>
    internal double[]? Presence { get; }

    /// <summary>Each feature's weighted mean.</summary>
    internal double[] Means { get; }

    /// <summary>Each feature's weighted (population) variance.</summary>
    internal double[] Variances { get; }

    /// <summary>Each feature's smallest value.</summary>
    internal float[] Minimum { get; }

    /// <summary>Each feature's largest value.</summary>
    internal float[] Maximum { get; }

    /// <summary>The sum of the example weights (the number of rows without weights).</summary>
    internal double TotalWeight { get; }

    /// <summary>The labels' weighted mean.</summary>
    internal double LabelMean { get; }

    /// <summary>The labels' weighted mean square: their scale, for the precision floor of the loss.</summary>
    internal double LabelSquareMean { get; }

    /// <summary>The labels' count, positives and distinctness, for the task's label checks.</summary>
    internal LabelSummary Labels { get; }

    /// <summary>The number of features whose variance is not 0.</summary>
    internal int VaryingFeatureCount
    {
        get
        {
            int varying = 0;
            foreach (double variance in Variances)
            {
                varying += variance > 0 ? 1 : 0;
            }

            return varying;
        }
    }

    /// <summary>The largest absolute value of any feature.</summary>
    internal double LargestMagnitude
    {
        get
        {
            double largest = 0;
            for (int j = 0; j < Minimum.Length; j++)
            {
                largest = Math.Max(largest, Math.Max(Math.Abs((double)Minimum[j]), Math.Abs((double)Maximum[j])));
            }

            return largest;
        }
    }
}
