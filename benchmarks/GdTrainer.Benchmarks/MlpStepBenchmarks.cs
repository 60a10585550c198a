using BenchmarkDotNet.Attributes;
using GdTrainer.Autograd;

namespace GdTrainer.Benchmarks;

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

    private HandWrittenMlpAdamStep _handWritten = null!;

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
    }

    /// <summary>One Adam step written directly with the kernels: the anchor (issue #8: ~101 us for hidden 64).</summary>
    /// <returns>The loss before the update.</returns>
    [Benchmark(Baseline = true)]
    public float HandWrittenAdamStep() => _handWritten.Step();

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
