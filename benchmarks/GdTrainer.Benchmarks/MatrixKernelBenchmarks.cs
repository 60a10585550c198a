using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using GdTrainer.Autograd;

namespace GdTrainer.Benchmarks;

/// <summary>
/// Issue #8's matrix-kernel check: the machine's practical fp32 peak (<see cref="FmaPeak"/>, 1 and 2
/// threads), and the three float products of a linear layer at the MLP's shapes, batch n = 256, through
/// the engine's own entry points: <c>y = x @ w</c> (<c>[256, d] @ [d, k]</c>), the input gradient
/// <c>dx += g @ w^T</c> and the weight gradient <c>dw += x^T @ g</c>. Each is reported as time, GFLOP/s
/// (2 n d k per product) and percentage of the 1-thread peak.
/// </summary>
/// <remarks>Run with <c>dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- --filter '*MatrixKernelBenchmarks*'</c>.</remarks>
[Config(typeof(Config))]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class MatrixKernelBenchmarks
{
    /// <summary>The batch size: the rows of every product.</summary>
    public const int Rows = 256;

    /// <summary>Iterations of the peak loop per operation (about 2 ms on the 2-core EPYC).</summary>
    public const long PeakIterations = 1_000_000;

    private readonly Dictionary<(int D, int K), Operands> _operands = [];

    /// <summary>The (inputs, outputs) pairs of the MLP layers measured: 20-64-64-1 and 20-256-256-1.</summary>
    /// <returns>The <c>d</c>, <c>k</c> argument pairs.</returns>
    public static IEnumerable<object[]> Shapes() => [[20, 64], [64, 64], [64, 1], [20, 256], [256, 256]];

    /// <summary>Fills every shape's operands with seeded values in [-0.5, 0.5).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        foreach (object[] shape in Shapes())
        {
            (int d, int k) = ((int)shape[0], (int)shape[1]);
            _operands[(d, k)] = new Operands(Fill(Rows * d, random), Fill(d * k, random), Fill(Rows * k, random), new float[Rows * k], new float[Rows * d], new float[d * k]);
        }
    }

    /// <summary>The peak loop on one thread.</summary>
    /// <returns>The loop's result, so that it is not removed.</returns>
    [Benchmark]
    public float FmaPeak1Thread() => FmaPeak.Run(PeakIterations);

    /// <summary>The peak loop on two threads at once, each running <see cref="PeakIterations"/>.</summary>
    /// <returns>The loops' results, so that they are not removed.</returns>
    [Benchmark]
    public float FmaPeak2Threads()
    {
        float first = 0;
        var other = new Thread(() => first = FmaPeak.Run(PeakIterations));
        other.Start();
        float second = FmaPeak.Run(PeakIterations);
        other.Join();
        return first + second;
    }

    /// <summary>The forward product <c>y = x @ w</c>, <c>[256, d] @ [d, k]</c> (the matrix-vector kernel for k = 1).</summary>
    /// <param name="d">The layer's inputs.</param>
    /// <param name="k">The layer's outputs.</param>
    [Benchmark]
    [ArgumentsSource(nameof(Shapes))]
    public void Forward(int d, int k)
    {
        Operands o = _operands[(d, k)];
        MatMulNode<float>.Multiply(o.X, o.W, o.Y, Rows, d, k);
    }

    /// <summary>The input gradient <c>dx += g @ w^T</c>, <c>[256, k] @ [k, d]</c>.</summary>
    /// <param name="d">The layer's inputs.</param>
    /// <param name="k">The layer's outputs.</param>
    [Benchmark]
    [ArgumentsSource(nameof(Shapes))]
    public void InputGradient(int d, int k)
    {
        Operands o = _operands[(d, k)];
        MatMulNode<float>.AddInputGradient(o.G, o.W, o.Dx, Rows, d, k);
    }

    /// <summary>The weight gradient <c>dw += x^T @ g</c>, <c>[d, 256] @ [256, k]</c>.</summary>
    /// <param name="d">The layer's inputs.</param>
    /// <param name="k">The layer's outputs.</param>
    [Benchmark]
    [ArgumentsSource(nameof(Shapes))]
    public void WeightGradient(int d, int k)
    {
        Operands o = _operands[(d, k)];
        MatMulNode<float>.AddWeightGradient(o.X, o.G, o.Dw, Rows, d, k);
    }

    /// <summary>The floating-point operations of one operation of <paramref name="benchmarkCase"/>.</summary>
    private static double? Flops(BenchmarkCase benchmarkCase) => benchmarkCase.Descriptor.WorkloadMethod.Name switch
    {
        nameof(FmaPeak1Thread) => FmaPeak.Flops(PeakIterations),
        nameof(FmaPeak2Threads) => 2 * FmaPeak.Flops(PeakIterations),
        nameof(Forward) or nameof(InputGradient) or nameof(WeightGradient) =>
            2.0 * Rows * (int)benchmarkCase.Parameters["d"] * (int)benchmarkCase.Parameters["k"],
        _ => null,
    };

    private static float[] Fill(int length, Random random)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)random.NextDouble() - 0.5f;
        }

        return values;
    }

    private sealed record Operands(float[] X, float[] W, float[] G, float[] Y, float[] Dx, float[] Dw);

    /// <summary>Adds the GFLOP/s and percentage-of-peak columns.</summary>
    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(new GflopsColumn("GFLOP/s", Flops));
            AddColumn(new GflopsColumn("% of peak", Flops, nameof(FmaPeak1Thread)));
        }
    }
}
