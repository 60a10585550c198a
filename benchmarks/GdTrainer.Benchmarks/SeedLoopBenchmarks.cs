using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using GdTrainer.Samples.Seed;

namespace GdTrainer.Benchmarks;

// Inside the namespace, so that `Autograd` names the class rather than the GdTrainer.Autograd namespace.
using GdTrainer.Autograd;

/// <summary>
/// Issue #2's performance check: one iteration of the seed's linear regression
/// (<c>loss = (x * w + b - y).Pow(2).Mean()</c>, zero the grads, backward, update under no-grad)
/// through the autograd engine, against the same iteration written by hand with analytic gradients
/// (the baseline), plus single 50-element engine operations to show the per-op overhead.
/// </summary>
/// <remarks>
/// Run with <c>dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- --filter '*SeedLoop*'</c>.
/// The global setup first checks that both versions follow the same <c>w</c>, <c>b</c> trajectory,
/// so that the comparison measures the same computation.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 20)]
public class SeedLoopBenchmarks
{
    /// <summary>The number of points of the seed example.</summary>
    public const int Points = 50;

    /// <summary>The seed example's learning rate.</summary>
    public const float LearningRate = 0.01f;

    private const int DataSeed = 42;
    private const int CheckedSteps = 20;
    private const float RelativeTolerance = 1e-5f;

    private Tensor<float> _x = null!;
    private Tensor<float> _y = null!;
    private Tensor<float> _w = null!;
    private Tensor<float> _b = null!;

    private float[] _xValues = null!;
    private float[] _yValues = null!;
    private float[] _residual = null!;
    private float _handW;
    private float _handB;

    /// <summary>
    /// Builds the seed's data (<c>x</c> uniform on [0, 1) from a seeded <see cref="Random"/>,
    /// <c>y = 3x + 0.8</c>, random initial <c>w</c> and <c>b</c>), after checking that the engine and
    /// the hand-written iteration agree step by step.
    /// </summary>
    /// <exception cref="InvalidOperationException">The two versions diverge by more than 1e-5 relative.</exception>
    [GlobalSetup]
    public void Setup()
    {
        VerifySameTrajectory(CheckedSteps);
        (_x, _y, _w, _b) = CreateSeedProblem();
        _xValues = _x.ToArray();
        _yValues = _y.ToArray();
        _residual = new float[Points];
        _handW = _w.Item();
        _handB = _b.Item();
    }

    /// <summary>One seed-loop iteration with the engine: build the graph, zero the grads, backward, update.</summary>
    /// <returns>The loss before the update.</returns>
    [Benchmark]
    public float EngineSeedIteration() => EngineStep(_x, _y, _w, _b);

    /// <summary>The same iteration with hand-derived gradients over preallocated spans: the lower bound.</summary>
    /// <returns>The loss before the update.</returns>
    [Benchmark(Baseline = true)]
    public float HandWrittenAnalyticIteration() => HandWrittenStep(_xValues, _yValues, _residual, ref _handW, ref _handB);

    /// <summary>A single elementwise engine operation on two 50-element tensors that do not require grad (nothing recorded).</summary>
    /// <returns>The new tensor <c>x + y</c>.</returns>
    [Benchmark]
    public Tensor<float> SingleOp50Add() => _x + _y;

    /// <summary>
    /// A single broadcasting engine operation, 50 elements times a <c>[1]</c> parameter that requires
    /// grad, so the operation is recorded (a graph node is allocated).
    /// </summary>
    /// <returns>The new tensor <c>x * w</c>.</returns>
    [Benchmark]
    public Tensor<float> SingleOp50MultiplyRecorded() => _x * _w;

    /// <summary>The seed example's loop body: the sample's own <see cref="SeedRegression.Step"/>.</summary>
    private static float EngineStep(Tensor<float> x, Tensor<float> y, Tensor<float> w, Tensor<float> b) =>
        SeedRegression.Step(x, y, w, b, LearningRate);

    /// <summary>
    /// The same step by hand: <c>r = x w + b - y</c>, <c>loss = mean(r^2)</c>,
    /// <c>dw = 2 mean(r x)</c>, <c>db = 2 mean(r)</c>, then <c>w -= lr dw</c>, <c>b -= lr db</c>.
    /// </summary>
    private static float HandWrittenStep(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> residual, ref float w, ref float b)
    {
        float count = x.Length;
        TensorPrimitives.Multiply(x, w, residual);
        TensorPrimitives.Add(residual, b, residual);
        TensorPrimitives.Subtract(residual, y, residual);
        float loss = TensorPrimitives.SumOfSquares(residual) / count;
        float dw = 2f * TensorPrimitives.Dot(residual, x) / count;
        float db = 2f * TensorPrimitives.Sum(residual) / count;
        w -= LearningRate * dw;
        b -= LearningRate * db;
        return loss;
    }

    private static (Tensor<float> X, Tensor<float> Y, Tensor<float> W, Tensor<float> B) CreateSeedProblem()
    {
        var generator = new Random(DataSeed);
        var x = Tensor.Rand([Points], generator);
        var y = 3f * x + 0.8f;
        var w = Tensor.Rand([1], generator, requiresGrad: true);
        var b = Tensor.Rand([1], generator, requiresGrad: true);
        return (x, y, w, b);
    }

    /// <summary>Runs both versions from the same start and throws if their loss, w or b differ beyond the tolerance.</summary>
    private static void VerifySameTrajectory(int steps)
    {
        var (x, y, w, b) = CreateSeedProblem();
        float[] xValues = x.ToArray();
        float[] yValues = y.ToArray();
        float[] residual = new float[Points];
        float handW = w.Item();
        float handB = b.Item();
        for (int step = 1; step <= steps; step++)
        {
            float engineLoss = EngineStep(x, y, w, b);
            float handLoss = HandWrittenStep(xValues, yValues, residual, ref handW, ref handB);
            Check("loss", step, engineLoss, handLoss);
            Check("w", step, w.Item(), handW);
            Check("b", step, b.Item(), handB);
        }
    }

    private static void Check(string name, int step, float engine, float handWritten)
    {
        float scale = Math.Max(Math.Max(Math.Abs(engine), Math.Abs(handWritten)), float.Epsilon);
        float relative = Math.Abs(engine - handWritten) / scale;
        if (!(relative <= RelativeTolerance))
        {
            throw new InvalidOperationException(
                $"The engine and the hand-written seed iteration diverge at step {step}: {name} = {engine:R} (engine) vs {handWritten:R} " +
                $"(hand-written), relative difference {relative:E2} > {RelativeTolerance:E0}. The benchmark would compare different computations.");
        }
    }
}
