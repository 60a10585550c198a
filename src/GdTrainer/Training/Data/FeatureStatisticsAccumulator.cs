namespace GdTrainer.Training;

using System.Runtime.CompilerServices;

using System.Numerics;

/// <summary>
/// Accumulates <see cref="FeatureStatistics"/> row by row. Values are accumulated relative to the first row (the
/// shifted-data algorithm, which keeps the variance accurate when a feature's mean is large against its spread), in
/// double: a float square overflows above 1.8e19, and features on a scale of 1e20 (a quantity in the wrong unit) then
/// gave an infinite variance, a zero scale and a model of the bias alone. Sums, squares, minimum and maximum are
/// updated in one SIMD loop per row.
/// </summary>
internal sealed class FeatureStatisticsAccumulator(int columns)
{
    private readonly double[] _shift = new double[columns];
    private readonly double[] _sums = new double[columns];
    private readonly double[] _squares = new double[columns];
    private readonly float[] _minimum = new float[columns];
    private readonly float[] _maximum = new float[columns];
    private double _totalWeight;
    private double _labelSum;
    private double _labelSquareSum;
    private LabelSummary _labels;
    private bool _shifted;

    /// <summary>Adds a row with its label and example weight (1 without weights).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // See FirstFit in docs/benchmarks.md.
    internal void Add(ReadOnlySpan<float> row, float label, float weight)
    {
        if (!_shifted)
        {
            for (int k = 0; k < row.Length; k++)
            {
                _shift[k] = row[k];
            }

            row.CopyTo(_minimum);
            row.CopyTo(_maximum);
            _shifted = true;
        }

        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<float>.Count;
            int half = Vector<double>.Count;
            var w = new Vector<double>(weight);
            for (; j <= row.Length - width; j += width)
            {
                var values = new Vector<float>(row.Slice(j, width));
                Vector.Widen(values, out Vector<double> low, out Vector<double> high);
                Accumulate(low, j, w);
                Accumulate(high, j + half, w);
                Vector.Min(new Vector<float>(_minimum, j), values).CopyTo(_minimum, j);
                Vector.Max(new Vector<float>(_maximum, j), values).CopyTo(_maximum, j);
            }
        }

        for (; j < row.Length; j++)
        {
            double difference = row[j] - _shift[j];
            double weighted = weight * difference;
            _sums[j] += weighted;
            _squares[j] += weighted * difference;
            _minimum[j] = Math.Min(_minimum[j], row[j]);
            _maximum[j] = Math.Max(_maximum[j], row[j]);
        }

        _totalWeight += weight;
        _labelSum += (double)weight * label;
        _labelSquareSum += (double)weight * label * label;
        _labels = _labels.Add(label);
    }

    private void Accumulate(Vector<double> values, int j, Vector<double> weight)
    {
        var difference = values - new Vector<double>(_shift, j);
        var weighted = difference * weight;
        (new Vector<double>(_sums, j) + weighted).CopyTo(_sums, j);
        (new Vector<double>(_squares, j) + (weighted * difference)).CopyTo(_squares, j);
    }

    /// <summary>The statistics of the rows added so far (at least one).</summary>
    internal FeatureStatistics Build()
    {
        var means = new double[_sums.Length];
        var variances = new double[_sums.Length];
        for (int j = 0; j < means.Length; j++)
        {
            double shiftedMean = _sums[j] / _totalWeight;
            means[j] = _shift[j] + shiftedMean;
            variances[j] = Math.Max((_squares[j] / _totalWeight) - (shiftedMean * shiftedMean), 0);
        }

        return new FeatureStatistics(means, variances, (float[])_minimum.Clone(), (float[])_maximum.Clone(), _totalWeight, _labelSum / _totalWeight, _labelSquareSum / _totalWeight, _labels);
    }
}
