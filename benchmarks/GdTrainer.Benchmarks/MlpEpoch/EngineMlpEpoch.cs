using System.Diagnostics;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;

namespace GdTrainer.Benchmarks.MlpEpoch;

// Inside the namespace, so that `Autograd` names the class rather than the GdTrainer.Autograd namespace.
using GdTrainer.Autograd;

/// <summary>
/// One epoch of the engine's MLP training the way a training loop runs it: <c>Mlp(20, [h, h], 1)</c> with ReLU,
/// <see cref="AdamOptimizer"/> at 1e-3, <see cref="MeanSquaredErrorLoss"/>, batches of 256 contiguous rows
/// (views over the data, as the trainer cuts them) visited in a new random order each epoch, and per step
/// <c>ZeroGrad</c>, forward, loss, <c>Backward</c>, <c>Step</c> inside <c>Autograd.PooledMemory()</c>.
/// </summary>
public sealed class EngineMlpEpoch
{
    /// <summary>The rows of a mini-batch.</summary>
    public const int BatchSize = 256;

    private readonly Mlp _model;
    private readonly AdamOptimizer _adam;
    private readonly MeanSquaredErrorLoss _loss = new();
    private readonly (Tensor<float> X, Tensor<float> Y)[] _batches;
    private readonly int[] _order;
    private readonly Random _shuffle;

    /// <summary>Builds the model (initialised from <paramref name="seed"/>), the optimizer and the batches over <paramref name="train"/>.</summary>
    public EngineMlpEpoch(NonlinearRegressionData train, int hidden, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(train);
        _model = new Mlp(NonlinearRegressionData.FeatureCount, [hidden, hidden], 1, seed: seed);
        _adam = new AdamOptimizer(_model.Parameters(), learningRate: 1e-3f);
        int rows = train.RowCount;
        int count = (rows + BatchSize - 1) / BatchSize;
        _batches = new (Tensor<float>, Tensor<float>)[count];
        _order = new int[count];
        for (int b = 0; b < count; b++)
        {
            int start = b * BatchSize;
            int size = Math.Min(BatchSize, rows - start);
            _batches[b] = (Tensor.Wrap(train.Features, start * NonlinearRegressionData.FeatureCount, [size, NonlinearRegressionData.FeatureCount]),
                Tensor.Wrap(train.Labels, start, [size]));
            _order[b] = b;
        }

        _shuffle = new Random(seed);
    }

    /// <summary>The number of steps in an epoch.</summary>
    public int StepsPerEpoch => _batches.Length;

    /// <summary>Runs one epoch; returns the mean of the batch losses.</summary>
    public double RunEpoch()
    {
        _shuffle.Shuffle(_order);
        double total = 0;
        foreach (int b in _order)
        {
            (Tensor<float> x, Tensor<float> y) = _batches[b];
            using (Autograd.PooledMemory())
            {
                _adam.ZeroGrad();
                Tensor<float> loss = _loss.Compute(_model.Forward(x), y);
                loss.Backward();
                _adam.Step();
                total += loss.Item();
            }
        }

        return total / _batches.Length;
    }

    /// <summary>
    /// Runs one epoch like <see cref="RunEpoch"/> and adds the time spent in each phase (zero-grad, forward,
    /// loss, backward, optimizer step, the rest) to <paramref name="phases"/>, in Stopwatch ticks.
    /// </summary>
    public void RunEpochTimed(long[] phases)
    {
        ArgumentNullException.ThrowIfNull(phases);
        _shuffle.Shuffle(_order);
        foreach (int b in _order)
        {
            (Tensor<float> x, Tensor<float> y) = _batches[b];
            long t0 = Stopwatch.GetTimestamp();
            using (Autograd.PooledMemory())
            {
                _adam.ZeroGrad();
                long t1 = Stopwatch.GetTimestamp();
                Tensor<float> prediction = _model.Forward(x);
                long t2 = Stopwatch.GetTimestamp();
                Tensor<float> loss = _loss.Compute(prediction, y);
                long t3 = Stopwatch.GetTimestamp();
                loss.Backward();
                long t4 = Stopwatch.GetTimestamp();
                _adam.Step();
                long t5 = Stopwatch.GetTimestamp();
                _ = loss.Item();
                phases[0] += t1 - t0;
                phases[1] += t2 - t1;
                phases[2] += t3 - t2;
                phases[3] += t4 - t3;
                phases[4] += t5 - t4;
                phases[5] -= t5;
            }

            phases[5] += Stopwatch.GetTimestamp();
        }
    }

    /// <summary>The root mean squared error of the model on <paramref name="test"/> (no gradient, batches of 4,096 rows).</summary>
    public double Rmse(NonlinearRegressionData test)
    {
        ArgumentNullException.ThrowIfNull(test);
        const int chunk = 4096;
        double sum = 0;
        using (Autograd.NoGrad())
        {
            for (int start = 0; start < test.RowCount; start += chunk)
            {
                int size = Math.Min(chunk, test.RowCount - start);
                using (Autograd.PooledMemory())
                {
                    Tensor<float> x = Tensor.Wrap(test.Features, start * NonlinearRegressionData.FeatureCount, [size, NonlinearRegressionData.FeatureCount]);
                    ReadOnlySpan<float> prediction = _model.Forward(x).Data;
                    for (int i = 0; i < size; i++)
                    {
                        double error = prediction[i] - test.Labels[start + i];
                        sum += error * error;
                    }
                }
            }
        }

        return Math.Sqrt(sum / test.RowCount);
    }
}
