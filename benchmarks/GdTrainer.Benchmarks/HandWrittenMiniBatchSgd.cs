using System.Numerics.Tensors;

namespace GdTrainer.Benchmarks;

/// <summary>
/// The reference the trainer's per-epoch cost is measured against: mini-batch SGD for a linear
/// model under mean squared error, with analytic gradients written by hand over spans
/// (TensorPrimitives), and the trainer's data order (rows shuffled once, contiguous batches visited in
/// a new random order each epoch), with no autograd, no ML.NET and no allocation inside the loop.
/// </summary>
internal sealed class HandWrittenMiniBatchSgd
{
    private readonly float[] _features;
    private readonly float[] _labels;
    private readonly int _rows;
    private readonly int _columns;
    private readonly int _batchSize;
    private readonly float[] _residuals;
    private readonly float[] _weightGradient;
    private readonly int[] _batchOrder;

    public HandWrittenMiniBatchSgd(float[] features, float[] labels, int columns, int batchSize, Random generator)
    {
        _columns = columns;
        _rows = labels.Length;
        _batchSize = batchSize;
        var order = new int[_rows];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        generator.Shuffle(order);
        _features = new float[features.Length];
        _labels = new float[_rows];
        for (int i = 0; i < _rows; i++)
        {
            features.AsSpan(order[i] * columns, columns).CopyTo(_features.AsSpan(i * columns, columns));
            _labels[i] = labels[order[i]];
        }

        _residuals = new float[batchSize];
        _weightGradient = new float[columns];
        _batchOrder = new int[(_rows + batchSize - 1) / batchSize];
        for (int b = 0; b < _batchOrder.Length; b++)
        {
            _batchOrder[b] = b;
        }

        Weights = new float[columns];
    }

    public float[] Weights { get; }

    public float Bias { get; private set; }

    /// <summary>Runs one epoch and returns its mean training loss.</summary>
    public double RunEpoch(Random generator, float learningRate)
    {
        generator.Shuffle(_batchOrder);
        double lossSum = 0;
        foreach (int batch in _batchOrder)
        {
            int start = batch * _batchSize;
            int count = Math.Min(_batchSize, _rows - start);
            ReadOnlySpan<float> features = _features.AsSpan(start * _columns, count * _columns);
            Span<float> residuals = _residuals.AsSpan(0, count);
            for (int k = 0; k < count; k++)
            {
                residuals[k] = TensorPrimitives.Dot(features.Slice(k * _columns, _columns), Weights) + Bias - _labels[start + k];
            }

            lossSum += TensorPrimitives.Dot(residuals, residuals);
            _weightGradient.AsSpan().Clear();
            for (int k = 0; k < count; k++)
            {
                TensorPrimitives.MultiplyAdd(features.Slice(k * _columns, _columns), residuals[k], _weightGradient, _weightGradient);
            }

            float scale = 2f / count;
            TensorPrimitives.MultiplyAdd(_weightGradient, -learningRate * scale, Weights, Weights);
            Bias -= learningRate * scale * TensorPrimitives.Sum<float>(residuals);
        }

        return lossSum / _rows;
    }
}
