using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using GdTrainer.MLNet;
using GdTrainer.Samples.Data;
using Microsoft.ML;

namespace GdTrainer.Benchmarks;

/// <summary>
/// Issue 20's thread scaling of whole fits: the regression trainer with its defaults on 1,000,000 rows x 20 features (the data of
/// <see cref="TrainerBenchmarks"/>: seeded, normalised, cached), the linear model and the MLP <c>[64, 64]</c> (5 epochs), with
/// <c>NumberOfThreads</c> 1 and 2. The models are bit-identical for both (the global setup checks it and prints the held-out RMSE);
/// only the time may differ. Run on a quiet machine, both thread counts in the same run:
/// <c>dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- --filter '*ThreadScalingBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class ThreadScalingBenchmarks
{
    private const int Seed = 42;

    private MLContext _mlContext = null!;
    private IDataView _train = null!;
    private IDataView _test = null!;

    /// <summary>The trainer's <c>NumberOfThreads</c>.</summary>
    [Params(1, 2)]
    public int NumberOfThreads { get; set; }

    /// <summary>Generates, normalises and caches the data; fits both models with 1 and with the benchmark's threads and checks that they are the same.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _mlContext = new MLContext(Seed);
        var generated = SyntheticRegressionData.Generate(TrainerBenchmarks.TrainingRows + TrainerBenchmarks.TestRows, TrainerBenchmarks.Features, Seed);
        IDataView all = generated.ToDataView(_mlContext);
        IDataView rawTrain = _mlContext.Data.TakeRows(all, TrainerBenchmarks.TrainingRows);
        IDataView rawTest = _mlContext.Data.SkipRows(all, TrainerBenchmarks.TrainingRows);
        ITransformer normalizer = _mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false).Fit(rawTrain);
        _train = _mlContext.Data.Cache(normalizer.Transform(rawTrain));
        _test = _mlContext.Data.Cache(normalizer.Transform(rawTest));
        foreach ((string name, Func<int, GradientDescentRegressionTransformer> fit) in new (string, Func<int, GradientDescentRegressionTransformer>)[] { ("linear", FitLinear), ("MLP [64, 64]", FitMlp) })
        {
            GradientDescentRegressionTransformer one = fit(1);
            GradientDescentRegressionTransformer mine = fit(NumberOfThreads);
            bool same = one.Model.Layers.Select(l => l.Weights.ToArray().Concat(l.Bias.ToArray())).SelectMany(v => v)
                .SequenceEqual(mine.Model.Layers.Select(l => l.Weights.ToArray().Concat(l.Bias.ToArray())).SelectMany(v => v));
            double rmse = _mlContext.Regression.Evaluate(mine.Transform(_test)).RootMeanSquaredError;
            Console.WriteLine($"// {name}, {NumberOfThreads} thread(s): {mine.Model.EpochsRun} epochs, held-out RMSE {rmse:F5}, bit-identical to 1 thread: {same}");
        }
    }

    /// <summary>The linear model with the trainer's defaults.</summary>
    [Benchmark]
    public GradientDescentRegressionTransformer LinearFit() => FitLinear(NumberOfThreads);

    /// <summary>The MLP <c>[64, 64]</c> for 5 epochs (Adam, batch 256), otherwise the defaults.</summary>
    [Benchmark]
    public GradientDescentRegressionTransformer MlpFit() => FitMlp(NumberOfThreads);

    private GradientDescentRegressionTransformer FitLinear(int threads) =>
        _mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options { NumberOfThreads = threads, Seed = Seed }).Fit(_train);

    private GradientDescentRegressionTransformer FitMlp(int threads) =>
        _mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
        {
            HiddenLayers = [64, 64], NumberOfEpochs = 5, Patience = 0, NumberOfThreads = threads, Seed = Seed,
        }).Fit(_train);
}
