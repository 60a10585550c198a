using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace GdTrainer.Benchmarks.MlpEpoch;

/// <summary>
/// Issue #9's MLP epoch in BenchmarkDotNet form: one epoch of <see cref="EngineMlpEpoch"/> (1M x 20 rows, batch 256,
/// Adam 1e-3, MSE) per operation, on 1 and 2 threads of the data-parallel step (issue 20). Monitoring strategy (an operation takes seconds), 1 warm-up and 3 measured
/// epochs in one process per width; the same model keeps training across iterations, as in a real fit.
/// The quicker <c>mlp-epoch</c> command (<see cref="MlpEpochCommand"/>) and the TorchSharp anchor
/// (benchmarks/GdTrainer.TorchSharpAnchor) time the same loop with a Stopwatch.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class MlpEpochBenchmarks : IDisposable
{
    private EngineMlpEpoch _run = null!;

    /// <summary>The width of both hidden layers.</summary>
    [Params(64, 256)]
    public int Hidden { get; set; }

    /// <summary>The threads of the data-parallel step (the trainer's <c>NumberOfThreads</c>).</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Generates the 1M training rows and builds the model.</summary>
    [GlobalSetup]
    public void Setup() => _run = new EngineMlpEpoch(NonlinearRegressionData.Generate(1_000_000, 42), Hidden, threads: Threads);

    /// <summary>Ends the step's helper threads.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _run?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>One epoch: 3,907 steps of zero-grad, the sharded forward, MSE and backward, and Adam.</summary>
    /// <returns>The epoch's mean batch loss.</returns>
    [Benchmark]
    public double Epoch() => _run.RunEpoch();
}
