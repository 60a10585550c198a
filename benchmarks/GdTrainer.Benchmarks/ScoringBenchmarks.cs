using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using GdTrainer.MLNet;
using GdTrainer.Samples.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Benchmarks;

/// <summary>
/// Issue #9's scoring check: 200,000 rows x 20 features scored by a trained linear model and a trained MLP (20-64-64-1, ReLU),
/// in memory (the baseline), after <see cref="GradientDescentModel.Load"/> (our transformer rebuilt from the file: the target
/// is at least 0.9x the in-memory speed), and after plain <c>mlContext.Model.Load</c> (ML.NET's built-in chain, whose scoring
/// mapping decodes the stored model record once and then reads it by reference: its cost per row must not grow with the
/// parameter count beyond the arithmetic). The allocation column shows that no route copies the parameters per row.
/// </summary>
/// <remarks>Run with <c>dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- --filter '*ScoringBenchmarks*'</c>.</remarks>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 7)]
public class ScoringBenchmarks
{
    private const int Rows = 200_000;
    private const int Features = 20;

    private IDataView _data = null!;
    private ITransformer _inMemory = null!;
    private ITransformer _helperLoaded = null!;
    private ITransformer _plainLoaded = null!;
    private string _path = null!;

    /// <summary>The model scored: the linear model or the MLP.</summary>
    [Params("Linear", "Mlp64x64")]
    public string Model { get; set; } = "Linear";

    /// <summary>Generates and caches the rows, trains the model briefly (its quality does not matter here), saves it and loads it both ways.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var mlContext = new MLContext(seed: 1);
        _data = mlContext.Data.Cache(SyntheticRegressionData.Generate(Rows, Features, seed: 3).ToDataView(mlContext));
        IDataView training = mlContext.Data.TakeRows(_data, 20_000);
        var options = new GradientDescentRegressionTrainer.Options { NumberOfEpochs = 3, Seed = 1 };
        if (Model == "Mlp64x64")
        {
            options.HiddenLayers = [64, 64];
        }

        _inMemory = mlContext.Regression.Trainers.GradientDescent(options).Fit(training);
        _path = Path.Combine(Path.GetTempPath(), $"gdtrainer-scoring-{Model}-{Environment.ProcessId}.zip");
        GradientDescentModel.Save(mlContext, _inMemory, _data.Schema, _path);
        _helperLoaded = GradientDescentModel.Load(new MLContext(seed: 2), _path, out _);
        var plainContext = new MLContext(seed: 3);
        plainContext.ComponentCatalog.RegisterAssembly(typeof(GradientDescentModel).Assembly);
        _plainLoaded = plainContext.Model.Load(_path, out _);
        double expected = SumScores(_inMemory);
        if (SumScores(_helperLoaded) != expected || SumScores(_plainLoaded) != expected)
        {
            throw new InvalidOperationException("The loaded models do not score identically to the in-memory one.");
        }
    }

    /// <summary>Deletes the saved model.</summary>
    [GlobalCleanup]
    public void Cleanup() => File.Delete(_path);

    /// <summary>The in-memory transformer returned by Fit.</summary>
    [Benchmark(Baseline = true)]
    public double InMemory() => SumScores(_inMemory);

    /// <summary>The transformer rebuilt by <see cref="GradientDescentModel.Load"/>.</summary>
    [Benchmark]
    public double AfterGradientDescentModelLoad() => SumScores(_helperLoaded);

    /// <summary>The built-in chain returned by plain <c>mlContext.Model.Load</c>.</summary>
    [Benchmark]
    public double AfterPlainModelLoad() => SumScores(_plainLoaded);

    private double SumScores(ITransformer model)
    {
        IDataView scored = model.Transform(_data);
        DataViewSchema.Column column = scored.Schema["Score"];
        using DataViewRowCursor cursor = scored.GetRowCursor([column]);
        ValueGetter<float> score = cursor.GetGetter<float>(column);
        double sum = 0;
        float value = 0;
        while (cursor.MoveNext())
        {
            score(ref value);
            sum += value;
        }

        return sum;
    }
}
