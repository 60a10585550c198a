using BenchmarkDotNet.Attributes;
using GdTrainer.Models;

namespace GdTrainer.Benchmarks;

// Inside the namespace, so that `Autograd` names the class rather than the GdTrainer.Autograd namespace.
using GdTrainer.Autograd;

/// <summary>
/// Scoring one row, as ML.NET's prediction transformer does: <see cref="InferenceNetwork.Score"/> against the module's
/// <see cref="Module.Forward"/> on a <c>[1, 20]</c> tensor under <see cref="Autograd.NoGrad"/>, for an MLP
/// <c>20 -> 64 -> 64 -> 1</c> (ReLU) and a linear model <c>20 -> 1</c>.
/// </summary>
/// <remarks>Run with <c>dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- --filter '*InferenceNetworkBenchmarks*'</c>.</remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class InferenceNetworkBenchmarks
{
    private const int Inputs = 20;

    private readonly float[] _output = new float[1];
    private Mlp _mlp = null!;
    private LinearModel _linear = null!;
    private InferenceNetwork _mlpNetwork = null!;
    private InferenceNetwork _linearNetwork = null!;
    private float[] _row = null!;
    private Tensor<float> _rowTensor = null!;

    /// <summary>Builds the models, their compiled networks and one row, and checks that both paths agree.</summary>
    /// <exception cref="InvalidOperationException">A compiled network's score differs from the module's.</exception>
    [GlobalSetup]
    public void Setup()
    {
        _mlp = new Mlp(Inputs, [64, 64], 1, Activation.Relu, seed: 1);
        _mlp.Eval();
        _linear = new LinearModel(Inputs);
        var random = new Random(2);
        using (Autograd.NoGrad())
        {
            _linear.Weights.CopyFrom(Tensor.Randn([Inputs], random).Data);
            _linear.Bias.CopyFrom([0.5f]);
        }

        _mlpNetwork = InferenceNetwork.Compile(_mlp);
        _linearNetwork = InferenceNetwork.Compile(_linear);
        _row = Tensor.Randn([Inputs], random).ToArray();
        _rowTensor = Tensor.From<float>(_row, [1, Inputs]);
        if (Math.Abs(MlpNetworkScore() - MlpModuleForward()) > 1e-5f || Math.Abs(LinearNetworkScore() - LinearModuleForward()) > 1e-5f)
        {
            throw new InvalidOperationException("The compiled networks do not score as the modules do.");
        }
    }

    /// <summary>The MLP's forward pass on a one-row tensor, no graph recorded.</summary>
    /// <returns>The score.</returns>
    [Benchmark(Baseline = true)]
    public float MlpModuleForward()
    {
        using (Autograd.NoGrad())
        {
            return _mlp.Forward(_rowTensor).Data[0];
        }
    }

    /// <summary>The compiled MLP scoring the same row.</summary>
    /// <returns>The score.</returns>
    [Benchmark]
    public float MlpNetworkScore()
    {
        _mlpNetwork.Score(_row, _output);
        return _output[0];
    }

    /// <summary>The linear model's forward pass on a one-row tensor, no graph recorded.</summary>
    /// <returns>The score.</returns>
    [Benchmark]
    public float LinearModuleForward()
    {
        using (Autograd.NoGrad())
        {
            return _linear.Forward(_rowTensor).Data[0];
        }
    }

    /// <summary>The compiled linear model scoring the same row (<c>TensorPrimitives.Dot + bias</c>).</summary>
    /// <returns>The score.</returns>
    [Benchmark]
    public float LinearNetworkScore()
    {
        _linearNetwork.Score(_row, _output);
        return _output[0];
    }
}
