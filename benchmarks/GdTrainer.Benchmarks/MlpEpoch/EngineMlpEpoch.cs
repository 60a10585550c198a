using System.Diagnostics;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;
using GdTrainer.Training;

namespace GdTrainer.Benchmarks.MlpEpoch;

// Inside the namespace, so that `Autograd` names the class rather than the GdTrainer.Autograd namespace.
using GdTrainer.Autograd;

/// <summary>
/// One epoch of the engine's MLP training the way the trainer runs it: <c>Mlp(20, [h, h], 1)</c> with ReLU,
/// <see cref="AdamOptimizer"/> at 1e-3, <see cref="MeanSquaredErrorLoss"/>, batches of 256 contiguous rows
/// (views over the data, as the trainer cuts them) visited in a new random order each epoch, and per step
/// <c>ZeroGrad</c>, the trainer's data-parallel step (<see cref="ShardedStep"/>: forward, loss and <c>Backward</c> by micro-shards
/// on <c>threads</c> threads, each inside <c>Autograd.PooledMemory()</c>, their gradients summed in a fixed order), <c>Step</c>.
/// A batch of 256 rows is two shards of 128 for both widths (<see cref="ShardPolicy.Default"/>), whatever the number of threads;
/// <c>unsharded</c> keeps every batch one shard, which is the single-threaded step before sharding (what sharding costs one thread).
/// </summary>
public sealed class EngineMlpEpoch : IDisposable
{
    /// <summary>The rows of a mini-batch.</summary>
    public const int BatchSize = 256;

    private readonly Mlp _model;
    private readonly AdamOptimizer _adam;
    private readonly MeanSquaredErrorLoss _loss = new();
    private readonly TrainingBatch[] _batches;
    private readonly int[] _order;
    private readonly Random _shuffle;
    private readonly ShardedStep _step;
    private long _steps;

    /// <summary>Builds the model (initialised from <paramref name="seed"/>), the optimizer, the step and the batches over <paramref name="train"/>.</summary>
    /// <param name="train">The training rows.</param>
    /// <param name="hidden">The width of both hidden layers.</param>
    /// <param name="seed">Seeds the initial weights and the batch order.</param>
    /// <param name="threads">The threads of the data-parallel step (the trainer's <c>NumberOfThreads</c>); 1 uses no other thread.</param>
    /// <param name="unsharded">Keep every batch one shard (the step before sharding).</param>
    public EngineMlpEpoch(NonlinearRegressionData train, int hidden, int seed = 0, int threads = 1, bool unsharded = false)
    {
        ArgumentNullException.ThrowIfNull(train);
        _model = new Mlp(NonlinearRegressionData.FeatureCount, [hidden, hidden], 1, seed: seed);
        _adam = new AdamOptimizer(_model.Parameters(), learningRate: 1e-3f);
        _step = new ShardedStep(_model, _loss, threads, seed, unsharded ? ShardPolicy.OneShard : ShardPolicy.Default);
        int rows = train.RowCount;
        int count = (rows + BatchSize - 1) / BatchSize;
        _batches = new TrainingBatch[count];
        _order = new int[count];
        for (int b = 0; b < count; b++)
        {
            int start = b * BatchSize;
            int size = Math.Min(BatchSize, rows - start);
            _batches[b] = new TrainingBatch(
                Tensor.Wrap(train.Features, start * NonlinearRegressionData.FeatureCount, [size, NonlinearRegressionData.FeatureCount]),
                null,
                Tensor.Wrap(train.Labels, start, [size]),
                null,
                size,
                Tensor.Scalar(1f)); // The gradient of each batch's mean loss, as the plain loop of issue 9 took it.
            _order[b] = b;
        }

        _shuffle = new Random(seed);
    }

    /// <summary>The number of steps in an epoch.</summary>
    public int StepsPerEpoch => _batches.Length;

    /// <summary>The threads of the data-parallel step.</summary>
    public int Threads => _step.Threads;

    /// <summary>Runs one epoch; returns the mean of the batch losses.</summary>
    public double RunEpoch()
    {
        _shuffle.Shuffle(_order);
        double total = 0;
        foreach (int b in _order)
        {
            _adam.ZeroGrad();
            total += _step.Train(_batches[b], _steps++);
            _adam.Step();
        }

        return total / _batches.Length;
    }

    /// <summary>
    /// Runs one epoch of the plain single-threaded loop (one shard a batch, on this thread, as before sharding) and adds the time
    /// spent in each phase (zero-grad, forward, loss, backward, optimizer step, the rest) to <paramref name="phases"/>, in Stopwatch ticks.
    /// </summary>
    public void RunEpochTimed(long[] phases)
    {
        ArgumentNullException.ThrowIfNull(phases);
        _shuffle.Shuffle(_order);
        foreach (int b in _order)
        {
            (Tensor<float> x, Tensor<float> y) = (_batches[b].Features!, _batches[b].Labels);
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

    /// <summary>Ends the step's helper threads.</summary>
    public void Dispose() => _step.Dispose();
}
