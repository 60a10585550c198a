using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using GdTrainer.MLNet;
using GdTrainer.Samples.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace GdTrainer.Benchmarks;

/// <summary>
/// Issue #12's throughput check: scoring 200,000 rows x 20 features with the model exported by <see cref="GradientDescentOnnx"/>
/// through ONNX Runtime (one session, one thread, the whole batch in one <c>Run</c>; and row by row, one <c>Run</c> per row,
/// on the first 2,000 rows) next to the in-memory transformer (a cursor over the cached view; and a prediction engine row by
/// row, same 2,000 rows), for the linear model and a 64-64 ReLU MLP. The models are trained for one epoch: scoring cost does
/// not depend on the weights.
/// </summary>
/// <remarks>
/// Run with <c>dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- --filter '*OnnxScoring*'</c>. Runs in process
/// (a short job: 1 warm-up, 5 iterations): on the shared 2-core machine, BenchmarkDotNet's build of its generated project ran
/// past its 2-minute timeout.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(InProcessShortRun))]
public class OnnxScoringBenchmarks : IDisposable
{
    /// <summary>The short job, in process.</summary>
    private sealed class InProcessShortRun : ManualConfig
    {
        public InProcessShortRun() =>
            AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5)
                .WithToolchain(InProcessEmitToolchain.Instance));
    }

    /// <summary>Rows scored in a batch.</summary>
    public const int Rows = 200_000;

    /// <summary>Rows scored one at a time.</summary>
    public const int SingleRows = 2_000;

    /// <summary>Features per row.</summary>
    public const int Features = 20;

    private MLContext _mlContext = null!;
    private IDataView _data = null!;
    private GradientDescentRegressionTransformer _model = null!;
    private PredictionEngine<RegressionRow, ScoreRow> _engine = null!;
    private RegressionRow[] _rows = null!;
    private InferenceSession _session = null!;
    private OrtValue _batch = null!;
    private float[] _matrix = null!;
    private RunOptions _runOptions = null!;

    /// <summary>The model scored: <c>linear</c> or <c>mlp-64-64</c>.</summary>
    [Params("linear", "mlp-64-64")]
    public string Model { get; set; } = "linear";

    /// <summary>Generates and caches the data, trains one epoch, exports to ONNX and opens the session.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _mlContext = new MLContext(seed: 42);
        var generated = SyntheticRegressionData.Generate(Rows, Features, seed: 42);
        _rows = [.. generated.Rows];
        _data = _mlContext.Data.Cache(generated.ToDataView(_mlContext));
        _model = _mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
        {
            HiddenLayers = Model == "linear" ? [] : [64, 64],
            NumberOfEpochs = 1,
        }).Fit(_data);
        _engine = _mlContext.Model.CreatePredictionEngine<RegressionRow, ScoreRow>(_model, _data.Schema);

        using var onnx = new MemoryStream();
        GradientDescentOnnx.Export(_model, onnx);
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        _session = new InferenceSession(onnx.ToArray(), options);
        _runOptions = new RunOptions();
        _matrix = new float[Rows * Features];
        for (int i = 0; i < Rows; i++)
        {
            _rows[i].Features.CopyTo(_matrix, i * Features);
        }

        _batch = OrtValue.CreateTensorValueFromMemory(_matrix, [Rows, Features]);
        Console.WriteLine($"// {Model}: in-memory sum {InMemoryBatch():R}, ONNX sum {OnnxBatch():R}");
    }

    /// <summary>The 200,000 rows through the transformer: a cursor over the cached view, summing <c>Score</c>.</summary>
    [Benchmark(Baseline = true)]
    public double InMemoryBatch()
    {
        IDataView scored = _model.Transform(_data);
        using DataViewRowCursor cursor = scored.GetRowCursor([scored.Schema["Score"]]);
        ValueGetter<float> score = cursor.GetGetter<float>(scored.Schema["Score"]);
        double sum = 0;
        float value = 0;
        while (cursor.MoveNext())
        {
            score(ref value);
            sum += value;
        }

        return sum;
    }

    /// <summary>The 200,000 rows through ONNX Runtime in one <c>Run</c> (input tensor prepared once), summing <c>Score</c>.</summary>
    [Benchmark]
    public double OnnxBatch()
    {
        using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(_runOptions, ["Features"], [_batch], ["Score"]);
        double sum = 0;
        foreach (float value in outputs[0].GetTensorDataAsSpan<float>())
        {
            sum += value;
        }

        return sum;
    }

    /// <summary>2,000 rows one at a time through an ML.NET prediction engine.</summary>
    [Benchmark]
    public double InMemoryPerRow()
    {
        double sum = 0;
        for (int i = 0; i < SingleRows; i++)
        {
            sum += _engine.Predict(_rows[i]).Score;
        }

        return sum;
    }

    /// <summary>2,000 rows one at a time through ONNX Runtime, one <c>Run</c> of a <c>[1, 20]</c> tensor each.</summary>
    [Benchmark]
    public double OnnxPerRow()
    {
        double sum = 0;
        for (int i = 0; i < SingleRows; i++)
        {
            using OrtValue row = OrtValue.CreateTensorValueFromMemory(_rows[i].Features, [1, Features]);
            using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(_runOptions, ["Features"], [row], ["Score"]);
            sum += outputs[0].GetTensorDataAsSpan<float>()[0];
        }

        return sum;
    }

    /// <summary>Releases the session and the native tensors.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _batch?.Dispose();
        _runOptions?.Dispose();
        _session?.Dispose();
        _engine?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The prediction engine's output row.</summary>
    public sealed class ScoreRow
    {
        /// <summary>The score.</summary>
        public float Score { get; set; }
    }
}
