using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;

namespace GdTrainer.Benchmarks;

// Inside the namespace, so that `Autograd` names the class rather than the GdTrainer.Autograd namespace.
using GdTrainer.Autograd;

/// <summary>
/// Issue #8's performance check: one training step of an <see cref="Mlp"/> (ReLU) with
/// <see cref="AdamOptimizer"/> (lr 1e-3) and <see cref="MeanSquaredErrorLoss"/> on a seeded
/// <c>[256, 20]</c> batch (forward, loss, backward, step, zero-grad), through the engine with and
/// without <see cref="Autograd.PooledMemory"/>, against the same <c>[64, 64]</c> step written by hand
/// without autograd (the baseline: preallocated buffers, loops over <see cref="TensorPrimitives"/>).
/// </summary>
/// <remarks>
/// Run with <c>dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- --filter '*MlpStep*'</c>.
/// The global setup first checks that the engine and the hand-written step follow the same loss
/// trajectory from the same parameters, so that the ratio compares the same computation.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 20)]
public class MlpStepBenchmarks
{
    /// <summary>The rows of the batch.</summary>
    public const int BatchSize = 256;

    /// <summary>The features of the batch.</summary>
    public const int Features = 20;

    /// <summary>Adam's learning rate.</summary>
    public const float LearningRate = 1e-3f;

    private const int DataSeed = 42;
    private const int ModelSeed = 7;
    private const int CheckedSteps = 10;
    private const float RelativeTolerance = 1e-4f;

    private readonly MeanSquaredErrorLoss _loss = new();
    private Tensor<float> _x = null!;
    private Tensor<float> _y = null!;
    private Mlp _model64 = null!;
    private AdamOptimizer _adam64 = null!;
    private Mlp _model256 = null!;
    private AdamOptimizer _adam256 = null!;
    private HandWrittenMlpStep _hand64 = null!;

    /// <summary>
    /// Builds the seeded batch (<c>x</c> uniform on [-1, 1), <c>y = sin(x . (1..20) / 20)</c>) and the
    /// models, after checking that the engine and the hand-written step agree step by step.
    /// </summary>
    /// <exception cref="InvalidOperationException">The two versions' losses differ by more than 1e-4 relative.</exception>
    [GlobalSetup]
    public void Setup()
    {
        VerifySameTrajectory(CheckedSteps);
        (_x, _y) = CreateBatch();
        (_model64, _adam64) = CreateModel(64);
        (_model256, _adam256) = CreateModel(256);
        _hand64 = new HandWrittenMlpStep(_model64, _x.ToArray(), _y.ToArray(), LearningRate);
    }

    /// <summary>One step of <c>Mlp(20, [64, 64], 1)</c> through the engine; every output allocated (the default).</summary>
    /// <returns>The loss before the update.</returns>
    [Benchmark]
    public float EngineAdamStep64() => EngineStep(_model64, _adam64, _loss, _x, _y);

    /// <summary>The same step inside <c>using (Autograd.PooledMemory())</c>.</summary>
    /// <returns>The loss before the update.</returns>
    [Benchmark]
    public float EngineAdamStep64Pooled()
    {
        using (Autograd.PooledMemory())
        {
            return EngineStep(_model64, _adam64, _loss, _x, _y);
        }
    }

    /// <summary>One step of <c>Mlp(20, [256, 256], 1)</c> through the engine; every output allocated.</summary>
    /// <returns>The loss before the update.</returns>
    [Benchmark]
    public float EngineAdamStep256() => EngineStep(_model256, _adam256, _loss, _x, _y);

    /// <summary>The <c>[256, 256]</c> step inside <c>using (Autograd.PooledMemory())</c>.</summary>
    /// <returns>The loss before the update.</returns>
    [Benchmark]
    public float EngineAdamStep256Pooled()
    {
        using (Autograd.PooledMemory())
        {
            return EngineStep(_model256, _adam256, _loss, _x, _y);
        }
    }

    /// <summary>The <c>[64, 64]</c> step by hand, no autograd, preallocated buffers: the baseline.</summary>
    /// <returns>The loss before the update.</returns>
    [Benchmark(Baseline = true)]
    public float HandWrittenAdamStep64() => _hand64.Step();

    /// <summary>Forward, loss, backward, Adam step, zero-grad: the loop body of issue #8.</summary>
    private static float EngineStep(Mlp model, AdamOptimizer adam, MeanSquaredErrorLoss loss, Tensor<float> x, Tensor<float> y)
    {
        Tensor<float> value = loss.Compute(model.Forward(x), y);
        value.Backward();
        adam.Step();
        adam.ZeroGrad();
        return value.Item();
    }

    private static (Tensor<float> X, Tensor<float> Y) CreateBatch()
    {
        var generator = new Random(DataSeed);
        var x = new float[BatchSize * Features];
        var y = new float[BatchSize];
        for (int i = 0; i < BatchSize; i++)
        {
            double sum = 0;
            for (int j = 0; j < Features; j++)
            {
                float value = (float)((generator.NextDouble() * 2) - 1);
                x[(i * Features) + j] = value;
                sum += value * (j + 1) / Features;
            }

            y[i] = (float)Math.Sin(sum);
        }

        return (Tensor.From<float>(x, [BatchSize, Features]), Tensor.From<float>(y));
    }

    private static (Mlp Model, AdamOptimizer Adam) CreateModel(int hidden)
    {
        var model = new Mlp(Features, [hidden, hidden], 1, seed: ModelSeed);
        return (model, new AdamOptimizer(model.Parameters(), LearningRate));
    }

    /// <summary>Runs the engine (with and without pooling) and the hand-written step from the same start; throws if their losses differ beyond the tolerance.</summary>
    private void VerifySameTrajectory(int steps)
    {
        (Tensor<float> x, Tensor<float> y) = CreateBatch();
        (Mlp model, AdamOptimizer adam) = CreateModel(64);
        (Mlp pooledModel, AdamOptimizer pooledAdam) = CreateModel(64);
        var hand = new HandWrittenMlpStep(model, x.ToArray(), y.ToArray(), LearningRate);
        for (int step = 1; step <= steps; step++)
        {
            float engine = EngineStep(model, adam, _loss, x, y);
            float pooled;
            using (Autograd.PooledMemory())
            {
                pooled = EngineStep(pooledModel, pooledAdam, _loss, x, y);
            }

            float handWritten = hand.Step();
            float relative = Math.Abs(engine - handWritten) / Math.Max(Math.Abs(engine), float.Epsilon);
            if (!(relative <= RelativeTolerance) || engine != pooled)
            {
                throw new InvalidOperationException(
                    $"The MLP steps diverge at step {step}: loss {engine:R} (engine), {pooled:R} (engine, pooled), {handWritten:R} (hand-written); " +
                    $"relative difference {relative:E2} (tolerance {RelativeTolerance:E0}; pooled must be identical). The benchmark would compare different computations.");
            }
        }
    }

    /// <summary>
    /// <c>Mlp(20, [64, 64], 1)</c> with ReLU, MSE and Adam (PyTorch's defaults: betas 0.9, 0.999, eps 1e-8)
    /// written out with hand-derived gradients over buffers allocated once: <c>h1 = relu(x W1 + b1)</c>,
    /// <c>h2 = relu(h1 W2 + b2)</c>, <c>p = h2 w3 + b3</c>, <c>loss = mean((p - y)^2)</c>, and back.
    /// Weights are laid out <c>[in, out]</c> as in <see cref="Linear"/>.
    /// </summary>
    private sealed class HandWrittenMlpStep
    {
        private const float Beta1 = 0.9f;
        private const float Beta2 = 0.999f;
        private const float Epsilon = 1e-8f;

        private readonly float[] _x;
        private readonly float[] _y;
        private readonly float _learningRate;
        private readonly int _rows;
        private readonly int _inputs;
        private readonly int _hidden1;
        private readonly int _hidden2;
        private readonly float[][] _parameters;
        private readonly float[][] _gradients;
        private readonly float[][] _firstMoments;
        private readonly float[][] _secondMoments;
        private readonly float[] _h1;
        private readonly float[] _h2;
        private readonly float[] _prediction;
        private readonly float[] _dh1;
        private readonly float[] _dh2;
        private int _step;

        public HandWrittenMlpStep(Mlp model, float[] x, float[] y, float learningRate)
        {
            _x = x;
            _y = y;
            _learningRate = learningRate;
            _rows = y.Length;
            _inputs = model.InputSize;
            _hidden1 = model.HiddenSizes[0];
            _hidden2 = model.HiddenSizes[1];
            IReadOnlyList<Tensor<float>> parameters = model.Parameters(); // W1, b1, W2, b2, w3, b3.
            _parameters = new float[parameters.Count][];
            _gradients = new float[parameters.Count][];
            _firstMoments = new float[parameters.Count][];
            _secondMoments = new float[parameters.Count][];
            for (int i = 0; i < parameters.Count; i++)
            {
                _parameters[i] = parameters[i].ToArray();
                _gradients[i] = new float[_parameters[i].Length];
                _firstMoments[i] = new float[_parameters[i].Length];
                _secondMoments[i] = new float[_parameters[i].Length];
            }

            _h1 = new float[_rows * _hidden1];
            _h2 = new float[_rows * _hidden2];
            _prediction = new float[_rows];
            _dh1 = new float[_rows * _hidden1];
            _dh2 = new float[_rows * _hidden2];
        }

        public float Step()
        {
            float[] w1 = _parameters[0], b1 = _parameters[1], w2 = _parameters[2], b2 = _parameters[3], w3 = _parameters[4], b3 = _parameters[5];
            float[] dw1 = _gradients[0], db1 = _gradients[1], dw2 = _gradients[2], db2 = _gradients[3], dw3 = _gradients[4], db3 = _gradients[5];

            // Forward.
            DenseRelu(_x, _inputs, w1, b1, _h1, _hidden1);
            DenseRelu(_h1, _hidden1, w2, b2, _h2, _hidden2);
            for (int i = 0; i < _rows; i++)
            {
                _prediction[i] = TensorPrimitives.Dot(_h2.AsSpan(i * _hidden2, _hidden2), w3) + b3[0];
            }

            // Loss and its gradient d(loss)/dp = 2 (p - y) / n, kept in _prediction.
            TensorPrimitives.Subtract(_prediction, _y, _prediction);
            float loss = TensorPrimitives.SumOfSquares<float>(_prediction) / _rows;
            TensorPrimitives.Multiply(_prediction, 2f / _rows, _prediction);

            // Backward: output layer.
            db3[0] = TensorPrimitives.Sum<float>(_prediction);
            for (int i = 0; i < _rows; i++)
            {
                float g = _prediction[i];
                Span<float> dh2Row = _dh2.AsSpan(i * _hidden2, _hidden2);
                ReadOnlySpan<float> h2Row = _h2.AsSpan(i * _hidden2, _hidden2);
                TensorPrimitives.MultiplyAdd(h2Row, g, dw3, dw3);
                TensorPrimitives.Multiply(w3, g, dh2Row);
                MaskByPositive(h2Row, dh2Row);
            }

            // Second hidden layer, then the first.
            DenseBackward(_h1, _hidden1, w2, _dh2, _hidden2, dw2, db2, _dh1);
            for (int i = 0; i < _h1.Length; i += _hidden1)
            {
                MaskByPositive(_h1.AsSpan(i, _hidden1), _dh1.AsSpan(i, _hidden1));
            }

            DenseBackward(_x, _inputs, w1, _dh1, _hidden1, dw1, db1, null);

            // Adam, then zero the gradients.
            _step++;
            float stepSize = (float)(_learningRate / (1.0 - Math.Pow(Beta1, _step)));
            float inverseCorrection2 = (float)(1.0 / Math.Sqrt(1.0 - Math.Pow(Beta2, _step)));
            for (int p = 0; p < _parameters.Length; p++)
            {
                float[] theta = _parameters[p], g = _gradients[p], m = _firstMoments[p], v = _secondMoments[p];
                for (int i = 0; i < theta.Length; i++)
                {
                    m[i] = (Beta1 * m[i]) + ((1f - Beta1) * g[i]);
                    v[i] = (Beta2 * v[i]) + ((1f - Beta2) * g[i] * g[i]);
                    theta[i] -= stepSize * m[i] / ((MathF.Sqrt(v[i]) * inverseCorrection2) + Epsilon);
                }

                Array.Clear(g);
            }

            return loss;
        }

        /// <summary><c>output[i, :] = relu(input[i, :] @ weight + bias)</c>, row by row with axpy over the weight's rows.</summary>
        private void DenseRelu(float[] input, int inputs, float[] weight, float[] bias, float[] output, int outputs)
        {
            for (int i = 0; i < _rows; i++)
            {
                Span<float> row = output.AsSpan(i * outputs, outputs);
                bias.CopyTo(row);
                for (int p = 0; p < inputs; p++)
                {
                    TensorPrimitives.MultiplyAdd(weight.AsSpan(p * outputs, outputs), input[(i * inputs) + p], row, row);
                }

                TensorPrimitives.Max(row, 0f, row);
            }
        }

        /// <summary><c>dW += input^T @ dOut</c>, <c>db += column sums of dOut</c>, and, when asked, <c>dIn = dOut @ W^T</c>.</summary>
        private void DenseBackward(float[] input, int inputs, float[] weight, float[] dOut, int outputs, float[] dWeight, float[] dBias, float[]? dIn)
        {
            for (int i = 0; i < _rows; i++)
            {
                ReadOnlySpan<float> gRow = dOut.AsSpan(i * outputs, outputs);
                TensorPrimitives.Add(dBias, gRow, dBias);
                for (int p = 0; p < inputs; p++)
                {
                    Span<float> dWRow = dWeight.AsSpan(p * outputs, outputs);
                    TensorPrimitives.MultiplyAdd(gRow, input[(i * inputs) + p], dWRow, dWRow);
                    if (dIn is not null)
                    {
                        dIn[(i * inputs) + p] = TensorPrimitives.Dot(gRow, weight.AsSpan(p * outputs, outputs));
                    }
                }
            }
        }

        /// <summary>Zeroes <paramref name="gradient"/> where the ReLU output <paramref name="activation"/> is not positive.</summary>
        private static void MaskByPositive(ReadOnlySpan<float> activation, Span<float> gradient)
        {
            for (int j = 0; j < gradient.Length; j++)
            {
                if (activation[j] <= 0f)
                {
                    gradient[j] = 0f;
                }
            }
        }
    }
}
