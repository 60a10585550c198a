namespace GdTrainer.Training;

/// <summary>
/// Accumulates <see cref="FeatureStatistics"/> over sparse rows, touching only their non-zeros: per column the weighted sum
/// and sum of squares of the stored values (an absent entry is 0 and adds nothing), the extremes of the stored values, and
/// how many rows stored the column, so that a column some row leaves out also has 0 among its values. In double, uncentred:
/// the zeros that make a sparse column sparse keep its mean small against its spread.
/// </summary>
internal sealed class SparseStatisticsAccumulator(int columns)
{
    private readonly double[] _sums = new double[columns];
    private readonly double[] _squares = new double[columns];
    private readonly float[] _minimum = CreateFilled(columns, float.PositiveInfinity);
    private readonly float[] _maximum = CreateFilled(columns, float.NegativeInfinity);
    private readonly int[] _present = new int[columns];
    private double _totalWeight;
    private double _labelSum;
    private double _labelSquareSum;
    private LabelSummary _labels;
    private int _rows;
    private bool _built;

    /// <summary>Adds a row given by its non-zeros (each column once), with its label and example weight.</summary>
    internal void Add(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, float label, float weight)
    {
        for (int p = 0; p < indices.Length; p++)
        {
            int j = indices[p];
            float value = values[p];
            double weighted = (double)weight * value;
            _sums[j] += weighted;
            _squares[j] += weighted * value;
            _minimum[j] = MathF.Min(_minimum[j], value);
            _maximum[j] = MathF.Max(_maximum[j], value);
            _present[j]++;
        }

        _rows++;
        _totalWeight += weight;
        _labelSum += (double)weight * label;
        _labelSquareSum += (double)weight * label * label;
        _labels = _labels.Add(label);
    }

    /// <summary>
    /// The statistics of the rows added (at least one). Built in the accumulator's own arrays (the sums become the means, the
    /// sums of squares the variances), so that the statistics of millions of columns do not need a second copy; the
    /// accumulator is spent afterwards.
    /// </summary>
    /// <exception cref="InvalidOperationException">The statistics were built already.</exception>
    internal FeatureStatistics Build()
    {
        if (_built)
        {
            throw new InvalidOperationException("The sparse statistics were built already; the accumulator's arrays are the statistics now.");
        }

        _built = true;
        int columns = _sums.Length;
        double[] means = _sums;
        double[] variances = _squares;
        var presence = new double[columns];
        for (int j = 0; j < columns; j++)
        {
            int present = _present[j];
            presence[j] = (double)present / _rows;
            means[j] = _sums[j] / _totalWeight;
            variances[j] = Math.Max((_squares[j] / _totalWeight) - (means[j] * means[j]), 0);
            bool hasZero = present < _rows;
            _minimum[j] = present == 0 ? 0f : hasZero ? MathF.Min(_minimum[j], 0f) : _minimum[j];
            _maximum[j] = present == 0 ? 0f : hasZero ? MathF.Max(_maximum[j], 0f) : _maximum[j];
        }

        return new FeatureStatistics(means, variances, _minimum, _maximum, _totalWeight, _labelSum / _totalWeight, _labelSquareSum / _totalWeight, _labels, presence);
    }

    private static float[] CreateFilled(int length, float value)
    {
        var array = new float[length];
        Array.Fill(array, value);
        return array;
    }
}
