namespace GdTrainer.MLNet;

using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;

/// <summary>
/// Runs epochs of mini-batch gradient descent over in-memory <see cref="TrainingData"/> with any
/// <see cref="Module"/>, <see cref="Loss"/> and <see cref="Optimizer"/>. Batches are gathered (in a
/// seeded random order when shuffling) into arrays allocated once and wrapped once as tensors, so the
/// loop allocates no data buffers per batch.
/// </summary>
internal sealed class MiniBatchLoop
{
    private readonly Module _model;
    private readonly Loss _loss;
    private readonly Optimizer _optimizer;
    private readonly TrainingData _data;
    private readonly bool _shuffle;
    private readonly Random _random;
    private readonly int[] _order;
    private readonly int _batchSize;
    private readonly float[] _batchFeatures;
    private readonly float[] _batchLabels;
    private readonly float[]? _batchWeights;
    private readonly (Tensor<float> Features, Tensor<float> Labels, Tensor<float>? Weights) _full;
    private readonly (Tensor<float> Features, Tensor<float> Labels, Tensor<float>? Weights) _remainder;
    private readonly LearningRateSchedule _schedule;
    private readonly float _initialLearningRate;
    private readonly long _totalSteps;
    private long _step;

    internal MiniBatchLoop(
        Module model, Loss loss, Optimizer optimizer, TrainingData data, int batchSize, bool shuffle, int seed, LearningRateSchedule schedule, int epochs)
    {
        _model = model;
        _loss = loss;
        _optimizer = optimizer;
        _data = data;
        int rows = data.RowCount;
        int d = data.FeatureCount;
        _batchSize = Math.Min(batchSize, rows);
        _shuffle = shuffle && _batchSize < rows; // A full batch's gradient does not depend on the order.
        _random = new Random(seed);
        _order = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            _order[i] = i;
        }

        _batchFeatures = new float[_batchSize * d];
        _batchLabels = new float[_batchSize];
        _batchWeights = data.Weights is null ? null : new float[_batchSize];
        _full = Wrap(_batchSize);
        int remainder = rows % _batchSize;
        _remainder = remainder == 0 ? _full : Wrap(remainder);
        _schedule = schedule;
        _initialLearningRate = optimizer.LearningRate;
        _totalSteps = (long)epochs * ((rows + _batchSize - 1) / _batchSize);

        (Tensor<float>, Tensor<float>, Tensor<float>?) Wrap(int count) =>
            (Tensor.Wrap(_batchFeatures, 0, [count, d]),
             Tensor.Wrap(_batchLabels, 0, [count]),
             _batchWeights is null ? null : Tensor.Wrap(_batchWeights, 0, [count]));
    }

    /// <summary>The learning rate of the latest step.</summary>
    internal float CurrentLearningRate => _optimizer.LearningRate;

    /// <summary>Runs one epoch and returns its loss: the weighted mean of the batch losses (each measured before its update).</summary>
    /// <exception cref="InvalidOperationException">A batch loss is NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between batches.</exception>
    internal float RunEpoch(int epoch, CancellationToken cancellationToken)
    {
        if (_shuffle)
        {
            _random.Shuffle(_order);
        }

        int rows = _data.RowCount;
        double weightedLossSum = 0;
        double weightSum = 0;
        for (int start = 0; start < rows; start += _batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(_batchSize, rows - start);
            double batchWeight = Gather(start, count);
            var (features, labels, weights) = count == _batchSize ? _full : _remainder;

            _optimizer.LearningRate = LearningRateScheduler.LearningRateAt(_schedule, _initialLearningRate, _step++, _totalSteps);
            _optimizer.ZeroGrad();
            Tensor<float> loss = _loss.Compute(_model.Forward(features), labels, weights);
            float value = loss.Item();
            if (!float.IsFinite(value))
            {
                throw new InvalidOperationException(
                    $"GradientDescent diverged in epoch {epoch}: the training loss became {value} (batch starting at row {start} of the epoch). " +
                    $"Use a smaller learning rate (it is {_optimizer.LearningRate}) or normalise the features (e.g. mlContext.Transforms.NormalizeMeanVariance).");
            }

            loss.Backward();
            _optimizer.Step();
            weightedLossSum += value * batchWeight;
            weightSum += batchWeight;
        }

        return (float)(weightedLossSum / weightSum);
    }

    /// <summary>Copies rows <c>_order[start .. start + count)</c> into the batch buffers; returns the batch's total weight.</summary>
    private double Gather(int start, int count)
    {
        int d = _data.FeatureCount;
        float[] features = _data.Features;
        float[] labels = _data.Labels;
        float[]? weights = _data.Weights;
        Span<float> batchFeatures = _batchFeatures;
        double total = 0;
        for (int i = 0; i < count; i++)
        {
            int row = _order[start + i];
            features.AsSpan(row * d, d).CopyTo(batchFeatures.Slice(i * d, d));
            _batchLabels[i] = labels[row];
            if (weights is not null)
            {
                float weight = weights[row];
                _batchWeights![i] = weight;
                total += weight;
            }
        }

        return weights is null ? count : total;
    }
}
