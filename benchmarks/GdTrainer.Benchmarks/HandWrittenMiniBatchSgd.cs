using System.Numerics.Tensors;

namespace GdTrainer.Benchmarks;

/// <summary>
/// The reference the trainer's per-epoch cost is measured against: mini-batch SGD for a linear
/// model under mean squared error, with analytic gradients written by hand over spans
/// (TensorPrimitives), the same per-epoch shuffle and the same batch gathering as the trainer,
/// and no autograd, no ML.NET and no allocation inside the loop.
/// </summary>
internal sealed class HandWrittenMiniBatchSgd
{
    private readonly float[] _features;
    private readonly float[] _labels;
    private readonly int _rows;
    private readonly int _columns;
    private readonly float[] _batchFeatures;
    private readonly float[] _batchLabels;
    private readonly float[] _residuals;
    private readonly float[] _weightGradient;
    private readonly int[] _order;

    public HandWrittenMiniBatchSgd(float[] features, float[] labels, int columns, int batchSize)
    {
        _features = features;
        _labels = labels;
        _columns = columns;
        _rows = labels.Length;
        _batchFeatures = new float[batchSize * columns];
        _batchLabels = new float[batchSize];
        _residuals = new float[batchSize];
        _weightGradient = new float[columns];
        _order = new int[_rows];
        Weights = new float[columns];
    }

    public float[] Weights { get; }

    public float Bias { get; private set; }

    /// <summary>Runs one epoch and returns its mean training loss.</summary>
    public double RunEpoch(Random generator, float learningRate)
    {
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }

        generator.Shuffle(_order);
        int batchSize = _batchLabels.Length;
        double lossSum = 0;
        for (int start = 0; start < _rows; start += batchSize)
        {
            int count = Math.Min(batchSize, _rows - start);
            for (int k = 0; k < count; k++)
            {
                int row = _order[start + k];
                _features.AsSpan(row * _columns, _columns).CopyTo(_batchFeatures.AsSpan(k * _columns, _columns));
                _batchLabels[k] = _labels[row];
            }

            Span<float> residuals = _residuals.AsSpan(0, count);
            for (int k = 0; k < count; k++)
            {
                residuals[k] = TensorPrimitives.Dot(_batchFeatures.AsSpan(k * _columns, _columns), Weights) + Bias - _batchLabels[k];
            }

            lossSum += TensorPrimitives.Dot(residuals, residuals);
            _weightGradient.AsSpan().Clear();
            for (int k = 0; k < count; k++)
            {
                TensorPrimitives.MultiplyAdd(_batchFeatures.AsSpan(k * _columns, _columns), residuals[k], _weightGradient, _weightGradient);
            }

            float scale = 2f / count;
            TensorPrimitives.MultiplyAdd(_weightGradient, -learningRate * scale, Weights, Weights);
            Bias -= learningRate * scale * TensorPrimitives.Sum<float>(residuals);
        }

        return lossSum / _rows;
    }
}
