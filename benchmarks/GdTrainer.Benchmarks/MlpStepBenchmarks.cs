using BenchmarkDotNet.Attributes;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;

namespace GdTrainer.Benchmarks;

// Inside the namespace, so that `Autograd` names the class rather than the GdTrainer.Autograd namespace.
using GdTrainer.Autograd;

/// <summary>
/// Issue #8's training-step check: one Adam step of an MLP <c>20 -> hidden -> hidden -> 1</c> (ReLU, MSE,
/// batch 256, learning rate 1e-3). Today it holds the hand-written anchor (<see cref="HandWrittenMlpAdamStep"/>,
/// the engine's kernels without autograd); the engine's step (modules, loss, optimizer) goes next to it.
/// </summary>
/// <remarks>
/// Run with <c>dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- --filter '*MlpStepBenchmarks*'</c>.
/// The global setup first checks the hand-written gradients against the engine's autograd on the same
/// network and batch, so that the anchor computes the step it claims to.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 20)]
public class MlpStepBenchmarks
{
    /// <summary>The features of a row.</summary>
    public const int Inputs = 20;

    /// <summary>The rows of the batch.</summary>
    public const int BatchSize = 256;

    private const int Seed = 42;

    private readonly MeanSquaredErrorLoss _loss = new();
    private HandWrittenMlpAdamStep _handWritten = null!;
    private Mlp _model = null!;
    private AdamOptimizer _adam = null!;
    private Mlp _pooledModel = null!;
    private AdamOptimizer _pooledAdam = null!;
    private Tensor<float> _x = null!;
    private Tensor<float> _y = null!;

    /// <summary>The width of both hidden layers: 64 (<c>Mlp(20, [64, 64], 1)</c>) or 256 (<c>Mlp(20, [256, 256], 1)</c>).</summary>
    [Params(64, 256)]
    public int Hidden { get; set; }

    /// <summary>Builds the network and batch after checking the hand-written gradients against autograd.</summary>
    /// <exception cref="InvalidOperationException">A hand-written gradient differs from the engine's.</exception>
    [GlobalSetup]
    public void Setup()
    {
        VerifyGradientsAgainstAutograd(Hidden);
        _handWritten = new HandWrittenMlpAdamStep(Inputs, Hidden, BatchSize, Seed);
        (_model, _adam, _x, _y) = EngineFromHandWritten(new HandWrittenMlpAdamStep(Inputs, Hidden, BatchSize, Seed));
        (_pooledModel, _pooledAdam, _, _) = EngineFromHandWritten(new HandWrittenMlpAdamStep(Inputs, Hidden, BatchSize, Seed));
        VerifyPooledStepsAreIdentical();
    }

    /// <summary>One Adam step written directly with the kernels: the anchor (issue #8: ~101 us for hidden 64).</summary>
    /// <returns>The loss before the update.</returns>
    [Benchmark(Baseline = true)]
    public float HandWrittenAdamStep() => _handWritten.Step();

    /// <summary>The engine's step: <c>Mlp.Forward</c>, <c>MeanSquaredErrorLoss</c>, <c>Backward</c>, <c>AdamOptimizer.Step</c>, <c>ZeroGrad</c>.</summary>
    /// <returns>The loss before the update.</returns>
    [Benchmark]
    public float EngineAdamStep() => EngineStep(_model, _adam);

    /// <summary>The same inside <c>Autograd.PooledMemory()</c>: operation outputs come from a per-thread pool.</summary>
    /// <returns>The loss before the update.</returns>
    [Benchmark]
    public float EngineAdamStepPooled()
    {
        using (Autograd.PooledMemory())
        {
            return EngineStep(_pooledModel, _pooledAdam);
        }
    }

    private float EngineStep(Mlp model, AdamOptimizer adam)
    {
        adam.ZeroGrad();
        Tensor<float> loss = _loss.Compute(model.Forward(_x), _y);
        loss.Backward();
        adam.Step();
        return loss.Item();
    }

    /// <summary>An <c>Mlp(20, [h, h], 1)</c> holding the hand-written step's initial parameters and data, with Adam at its rate.</summary>
    private static (Mlp Model, AdamOptimizer Adam, Tensor<float> X, Tensor<float> Y) EngineFromHandWritten(HandWrittenMlpAdamStep hand)
    {
        var model = new Mlp(Inputs, [hand.Hidden, hand.Hidden], 1);
        ReadOnlySpan<float> p = hand.Parameters;
        int offset = 0;
        using (Autograd.NoGrad())
        {
            foreach (Tensor<float> parameter in model.Parameters())
            {
                parameter.CopyFrom(p.Slice(offset, parameter.Length)); // w1, b1, w2, b2, w3, b3: the hand-written layout.
                offset += parameter.Length;
            }
        }

        return (model, new AdamOptimizer(model.Parameters(), 1e-3f), Tensor.From(hand.X, [BatchSize, Inputs]), Tensor.From(hand.Y));
    }

    private void VerifyPooledStepsAreIdentical()
    {
        (Mlp plain, AdamOptimizer plainAdam, _, _) = EngineFromHandWritten(new HandWrittenMlpAdamStep(Inputs, Hidden, BatchSize, Seed));
        (Mlp pooled, AdamOptimizer pooledAdam, _, _) = EngineFromHandWritten(new HandWrittenMlpAdamStep(Inputs, Hidden, BatchSize, Seed));
        for (int step = 1; step <= 5; step++)
        {
            float expected = EngineStep(plain, plainAdam);
            float actual;
            using (Autograd.PooledMemory())
            {
                actual = EngineStep(pooled, pooledAdam);
            }

            if (expected != actual)
            {
                throw new InvalidOperationException($"Pooled and plain engine steps differ at step {step}: {actual:R} vs {expected:R}.");
            }
        }
    }

    /// <summary>
    /// Computes the gradients of the same network and batch with <see cref="Functional.Linear{T}"/>,
    /// <c>Relu</c>, <see cref="Functional.MseLoss{T}"/> and <c>Backward</c>, and compares them with the
    /// hand-written ones.
    /// </summary>
    private static void VerifyGradientsAgainstAutograd(int hidden)
    {
        var hand = new HandWrittenMlpAdamStep(Inputs, hidden, BatchSize, Seed);
        float handLoss = hand.ComputeGradients();
        float[] p = hand.Parameters.ToArray();
        int offset = 0;
        Tensor<float> Take(params int[] shape)
        {
            int length = shape.Aggregate(1, (a, b) => a * b);
            var tensor = Tensor.From(p.AsSpan(offset, length), shape, requiresGrad: true);
            offset += length;
            return tensor;
        }

        Tensor<float> w1 = Take(Inputs, hidden), b1 = Take(hidden), w2 = Take(hidden, hidden), b2 = Take(hidden), w3 = Take(hidden), b3 = Take(1);
        var x = Tensor.From(hand.X, [BatchSize, Inputs]);
        var y = Tensor.From(hand.Y, [BatchSize]);
        Tensor<float> h1 = Functional.Linear(x, w1, b1).Relu();
        Tensor<float> h2 = Functional.Linear(h1, w2, b2).Relu();
        Tensor<float> loss = Functional.MseLoss(Functional.Linear(h2, w3, b3), y);
        loss.Backward();

        Check("loss", [loss.Item()], [handLoss]);
        float[] engine = [.. new[] { w1, b1, w2, b2, w3, b3 }.SelectMany(t => t.Grad!.ToArray())];
        Check("gradients", engine, hand.Gradients);
    }

    private static void Check(string what, ReadOnlySpan<float> engine, ReadOnlySpan<float> handWritten)
    {
        float scale = 0;
        foreach (float value in engine)
        {
            scale = Math.Max(scale, Math.Abs(value));
        }

        for (int i = 0; i < engine.Length; i++)
        {
            if (!(Math.Abs(engine[i] - handWritten[i]) <= 1e-4f * scale))
            {
                throw new InvalidOperationException(
                    $"The hand-written MLP step and autograd disagree on {what}[{i}]: {handWritten[i]:R} vs {engine[i]:R} (largest magnitude {scale:R}).");
            }
        }
    }
}
