using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using GdTrainer.MLNet;
using GdTrainer.Models;
using GdTrainer.Samples.Cli;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Distributed;

/// <summary>
/// Trains one model over the ranks of an MPI job (or alone) on generated data and prints the epoch times, the time spent in
/// the ranks' exchanges and, on rank 0, the model's checksum: the same data, options and global batch give the same checksum
/// alone and under <c>mpiexec -n 2</c> or <c>-n 3</c>. <c>--save</c> writes the model (rank 0) and <c>--score</c> scores a saved
/// model in a plain process, printing a checksum of its scores to compare with the one the training run printed.
/// </summary>
public static class DistributedCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "distributed";

    /// <summary>One line per option, for the usage text.</summary>
    public const string Usage =
        "distributed [--model linear|mlp] [--task regression|binary] [--rows 100000] [--features 20] [--batch-size 256] [--epochs 3] [--hidden 64,64] [--threads N] [--seed 1] [--timeout 30] [--save model.zip] [--score model.zip]";

    /// <summary>The rows whose scores <c>--save</c> and <c>--score</c> hash.</summary>
    private const int ScoredRows = 10_000;

    /// <summary>Runs the command with the options given.</summary>
    /// <exception cref="CommandLineException">An option is unknown or its value is out of range (the message names it).</exception>
    public static int Run(CommandLineOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        string model = options.GetString("--model", "linear")!;
        string task = options.GetString("--task", "regression")!;
        if (model is not ("linear" or "mlp"))
        {
            throw new CommandLineException($"--model is '{model}'; use linear or mlp.");
        }

        if (task is not ("regression" or "binary"))
        {
            throw new CommandLineException($"--task is '{task}'; use regression or binary.");
        }

        int rows = options.GetInt32("--rows", 100_000, minimum: 2);
        int features = options.GetInt32("--features", 20, minimum: 2, maximum: 10_000);
        int batchSize = options.GetInt32("--batch-size", 256, minimum: 1);
        int epochs = options.GetInt32("--epochs", 3, minimum: 1);
        int[] hidden = options.GetWidths("--hidden", [64, 64]);
        int threads = options.GetInt32("--threads", 0, minimum: 0, why: "0 lets each rank use its machine's cores divided by the ranks on it");
        int seed = options.GetInt32("--seed", 1);
        int timeoutSeconds = options.GetInt32("--timeout", 30, minimum: 1, maximum: 86_400);
        string? savePath = options.GetString("--save", null);
        string? scorePath = options.GetString("--score", null);
        options.EnsureAllUsed();

        var mlContext = new MLContext(seed);
        DistributedRow[] generated = DistributedData.Generate(rows, features);
        IDataView data = DistributedData.ToDataView(mlContext, generated, features);
        if (scorePath is not null)
        {
            // A plain process: no MPI, the saved model and the same generated rows.
            ITransformer loaded = mlContext.Model.Load(scorePath, out _);
            output.WriteLine($"loaded {scorePath}; scores checksum: {ScoresChecksum(mlContext, loaded, data)}");
            return 0;
        }

        using Communicator? communicator = MpiCommunicator.IsLaunchedByMpi ? MpiCommunicator.FromEnvironment(TimeSpan.FromSeconds(timeoutSeconds)) : null;
        int rank = communicator?.Rank ?? 0;
        int size = communicator?.Size ?? 1;
        TextWriter log = rank == 0 ? output : TextWriter.Null;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model} {task} on {rows:N0} x {features} generated rows, batch {batchSize}, {epochs} epoch(s), seed {seed}; {size} rank(s){(communicator is MpiCommunicator mpi ? $" ({mpi.Library})" : ", no MPI")}, threads per rank {(threads > 0 ? threads.ToString(CultureInfo.InvariantCulture) : "the default")}; every rank holds all rows"));

        IEstimator<ITransformer> trainer = CreateTrainer(mlContext, model, task, batchSize, epochs, hidden, threads, seed, communicator, log);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        ITransformer trained = trainer.Fit(data);
        TimeSpan fit = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        GradientDescentModelParameters parameters = ((ISingleFeaturePredictionTransformer<GradientDescentModelParameters>)trained).Model;
        ulong checksum = ModelChecksum(parameters);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fit: {fit.TotalMilliseconds:N0} ms; {parameters.History.Epochs.Count} epoch(s); stopped: {parameters.History.StopReason}"));
        if (communicator is { Size: > 1 })
        {
            TimeSpan exchange = communicator.TimeInCollectives;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"exchange on rank 0: {communicator.CollectiveCount:N0} collectives, {exchange.TotalMilliseconds:N0} ms in all ({exchange.TotalMilliseconds * 1000 / Math.Max(1, communicator.CollectiveCount):N1} µs each, {100 * exchange.TotalMilliseconds / fit.TotalMilliseconds:N1}% of the fit, waiting for the other ranks included)"));
            CheckEveryRankHolds(communicator, checksum);
            log.WriteLine($"all {size} ranks hold the same model");
        }

        if (savePath is not null && rank == 0)
        {
            mlContext.Model.Save(trained, data.Schema, savePath);
            log.WriteLine($"saved {savePath}; scores checksum: {ScoresChecksum(mlContext, trained, data)}");
        }

        log.WriteLine($"model checksum: {checksum:x16}");
        return 0;
    }

    private static IEstimator<ITransformer> CreateTrainer(
        MLContext mlContext, string model, string task, int batchSize, int epochs, int[] hidden, int threads, int seed, Communicator? communicator, TextWriter log)
    {
        var progress = new EpochPrinter(log);
        int[] layers = model == "mlp" ? hidden : [];
        int? threadCount = threads > 0 ? threads : null;

        // No hold-out, so that every row trains; an MLP's learning rate is Adam's usual 1e-3 (the linear model derives its own).
        return task == "regression"
            ? mlContext.Regression.Trainers.GradientDescent(Configure(new GradientDescentRegressionTrainer.Options { LabelColumnName = nameof(DistributedRow.Target) }))
            : mlContext.BinaryClassification.Trainers.GradientDescent(Configure(new GradientDescentBinaryTrainer.Options { LabelColumnName = nameof(DistributedRow.Positive) }));

        TOptions Configure<TOptions>(TOptions options)
            where TOptions : GradientDescentTrainerOptions
        {
            options.HiddenLayers = layers;
            options.LearningRate = model == "mlp" ? 1e-3f : null;
            options.BatchSize = batchSize;
            options.NumberOfEpochs = epochs;
            options.ValidationFraction = 0f;
            options.Seed = seed;
            options.NumberOfThreads = threadCount;
            options.Communicator = communicator;
            options.Progress = progress;
            return options;
        }
    }

    /// <summary>The XxHash64 of every layer's weights and bias bytes, in order: equal on two runs only if they trained the same bits.</summary>
    private static ulong ModelChecksum(GradientDescentModelParameters parameters)
    {
        var hash = new XxHash64();
        foreach (DenseLayer layer in parameters.Layers)
        {
            hash.Append(MemoryMarshal.AsBytes(layer.Weights.Span));
            hash.Append(MemoryMarshal.AsBytes(layer.Bias.Span));
        }

        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>Fails unless every rank's model checksum equals rank 0's (an all-gather of one value from each).</summary>
    private static void CheckEveryRankHolds(Communicator communicator, ulong checksum)
    {
        var gathered = new ulong[communicator.Size];
        communicator.AllGather<ulong>([checksum], gathered);
        for (int other = 1; other < gathered.Length; other++)
        {
            if (gathered[other] != gathered[0])
            {
                throw new InvalidOperationException($"Rank {other}'s model checksum {gathered[other]:x16} differs from rank 0's {gathered[0]:x16}: the ranks did not train the same model.");
            }
        }
    }

    /// <summary>The XxHash64 of the <c>Score</c> column over the first rows (and <c>Probability</c> for a binary model).</summary>
    private static string ScoresChecksum(MLContext mlContext, ITransformer model, IDataView data)
    {
        IDataView scored = model.Transform(mlContext.Data.TakeRows(data, ScoredRows));
        var hash = new XxHash64();
        DataViewSchema.Column score = scored.Schema["Score"];
        DataViewSchema.Column? probability = scored.Schema.GetColumnOrNull("Probability");
        using DataViewRowCursor cursor = scored.GetRowCursor(probability is { } p ? [score, p] : [score]);
        ValueGetter<float> getScore = cursor.GetGetter<float>(score);
        ValueGetter<float>? getProbability = probability is { } column ? cursor.GetGetter<float>(column) : null;
        Span<float> values = stackalloc float[2];
        while (cursor.MoveNext())
        {
            float value = 0f;
            getScore(ref value);
            values[0] = value;
            value = 0f;
            getProbability?.Invoke(ref value);
            values[1] = value;
            hash.Append(MemoryMarshal.AsBytes(values));
        }

        return hash.GetCurrentHashAsUInt64().ToString("x16", CultureInfo.InvariantCulture);
    }
}
