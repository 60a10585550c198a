namespace GdTrainer.Tests.MLNet.Trainers;

using System.Diagnostics;
using GdTrainer.MLNet;
using GdTrainer.Models;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The ML.NET trainers with <see cref="GradientDescentTrainerOptions.Communicator"/> set, on ranks that are threads of this process
/// (<see cref="InProcessCommunicator"/>, the unit-test stand-in for MPI): every rank ends with the model one process trains, bit
/// for bit; ranks whose options, rows or label keys differ fail before training, naming the rank; a cancellation on one rank
/// stops every rank at the same epoch; a rank whose run fails makes the others fail at once, naming it, instead of waiting.
/// </summary>
public sealed class DistributedTrainerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public enum Model
    {
        LinearRegression,
        MlpRegression,
        LinearBinary,
        MlpBinary,
        LinearMulticlass,
    }

    [Theory]
    [InlineData(Model.LinearRegression)]
    [InlineData(Model.MlpRegression)]
    [InlineData(Model.LinearBinary)]
    [InlineData(Model.MlpBinary)]
    [InlineData(Model.LinearMulticlass)]
    public void EveryRankEndsWithTheModelOneProcessTrains(Model model)
    {
        byte[] alone = Train(model, communicator: null, threads: 2).Bits;
        foreach (int size in (int[])[2, 3])
        {
            Trained[] ranks = RunRanks(size, (rank, communicator) => Train(model, communicator, threads: 1));
            for (int rank = 0; rank < size; rank++)
            {
                Assert.True(alone.AsSpan().SequenceEqual(ranks[rank].Bits), $"rank {rank} of {size} ended with another {model} model than one process trains");
                Assert.Equal(TrainingStopReason.EpochLimit, ranks[rank].StopReason);
            }
        }
    }

    [Fact]
    public void RanksWithDifferentOptionsFailBeforeTrainingNamingTheRank()
    {
        Exception?[] errors = RunRanksCatching(3, (rank, communicator) => Train(Model.LinearRegression, communicator, threads: 1, seed: rank == 2 ? 8 : 7));
        foreach (Exception? error in errors)
        {
            var mismatch = Assert.IsType<InvalidOperationException>(error);
            Assert.Contains("rank 2's settings differ from rank 0's", mismatch.Message);
            Assert.DoesNotContain("rank 1", mismatch.Message);
        }
    }

    [Fact]
    public void RanksWithDifferentRowsFailBeforeTrainingNamingTheRank()
    {
        Exception?[] errors = RunRanksCatching(2, (rank, communicator) => Train(Model.LinearBinary, communicator, threads: 1, rows: rank == 1 ? 399 : 400));
        foreach (Exception? error in errors)
        {
            string message = Assert.IsType<InvalidOperationException>(error).Message;
            Assert.True(message.Contains("rank 1's training rows and validation rows and settings differ from rank 0's", StringComparison.Ordinal), message);
        }
    }

    [Fact]
    public void RanksWhoseClassNamesDifferFailBeforeTraining()
    {
        // The same rows and key indices, but rank 1's keys name other classes: its output 0 would not mean rank 0's class 0.
        Exception?[] errors = RunRanksCatching(2, (rank, communicator) =>
            Train(Model.LinearMulticlass, communicator, threads: 1, classNames: rank == 1 ? ["rouge", "vert", "bleu"] : ["red", "green", "blue"]));
        foreach (Exception? error in errors)
        {
            Assert.Contains("rank 1's label keys differ from rank 0's", Assert.IsType<InvalidOperationException>(error).Message);
        }
    }

    [Fact]
    public void ACancellationOnOneRankStopsEveryRankAtTheSameEpochWithTheSameModel()
    {
        Trained[] ranks = RunRanks(3, (rank, communicator) =>
        {
            using var cancellation = new CancellationTokenSource();
            return Train(Model.MlpBinary, communicator, threads: 1, epochs: 20, cancellation: cancellation.Token,
                afterEpoch: epoch => { if (rank == 1 && epoch == 3) { cancellation.Cancel(); } });
        });

        foreach (Trained trained in ranks)
        {
            Assert.Equal(TrainingStopReason.Cancelled, trained.StopReason);
            Assert.Equal(3, trained.Epochs);
            Assert.True(ranks[0].Bits.AsSpan().SequenceEqual(trained.Bits));
        }
    }

    [Fact]
    public void ARankWhoseRunFailsMakesTheOthersFailAtOnceNamingIt()
    {
        var watch = Stopwatch.StartNew();
        Exception?[] errors = RunRanksCatching(3, (rank, communicator) => Train(Model.MlpRegression, communicator, threads: 1, epochs: 20,
            afterEpoch: epoch => { if (rank == 2 && epoch == 2) { throw new InvalidDataException("the disk of rank 2 went away"); } }));

        // Far sooner than the 60 s timeout: rank 2 tells the group why it stops.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the ranks took {watch.Elapsed} to fail");
        Assert.Contains("the disk of rank 2 went away", Assert.IsType<InvalidDataException>(errors[2]).Message);
        foreach (Exception? error in errors[..2])
        {
            var failed = Assert.IsType<CommunicatorException>(error);
            Assert.Equal([2], failed.FailedRanks);
            Assert.Contains("rank 2", failed.Message);
            Assert.Contains("the disk of rank 2 went away", failed.Message);
        }
    }

    [Fact]
    public void TheReadmeExampleTrainsOneModelOnEveryRankAndRankZeroSavesIt()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromEnumerable(RegressionRows(400));
        string directory = Directory.CreateTempSubdirectory("gd-ranks-").FullName;
        try
        {
            string alonePath = Path.Combine(directory, "alone.zip");
            ReadmeExample(mlContext, data, communicator: null, alonePath);
            string ranksPath = Path.Combine(directory, "ranks.zip");
            RunRanks(2, (rank, communicator) =>
            {
                var context = new MLContext(seed: 1);
                ReadmeExample(context, context.Data.LoadFromEnumerable(RegressionRows(400)), communicator, ranksPath);
                return new Trained([], 0, null);
            });

            // Rank 0's file holds the model one process trains: the same scores, bit for bit.
            float[] alone = Scores(mlContext, mlContext.Model.Load(alonePath, out _), data);
            float[] ranks = Scores(mlContext, mlContext.Model.Load(ranksPath, out _), data);
            Assert.Equal(alone.Select(BitConverter.SingleToInt32Bits), ranks.Select(BitConverter.SingleToInt32Bits));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void ReadmeExample(MLContext mlContext, IDataView data, Communicator? communicator, string modelPath)
    {
        // README: begin several machines
        var trainer = mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
        {
            HiddenLayers = [64, 64],
            NumberOfEpochs = 10,
            Communicator = communicator,      // null (the default): this process alone, no native library loaded
        });
        ITransformer model = trainer.Fit(data);   // every rank reads the same rows and ends with the same model
        if (communicator is null || communicator.Rank == 0)
        {
            mlContext.Model.Save(model, data.Schema, modelPath);
        }
        // README: end several machines
    }

    private static float[] Scores(MLContext mlContext, ITransformer model, IDataView data) =>
        [.. mlContext.Data.CreateEnumerable<ScoreRow>(model.Transform(data), reuseRowObject: false).Select(row => row.Score)];

    private static Trained Train(
        Model model, Communicator? communicator, int threads, int seed = 7, int rows = 400, int epochs = 4, string[]? classNames = null,
        CancellationToken cancellation = default, Action<int>? afterEpoch = null)
    {
        var mlContext = new MLContext(seed: 1);
        var progress = afterEpoch is null ? null : new AfterEpoch(afterEpoch);
        int[] hidden = model is Model.MlpRegression or Model.MlpBinary ? [8, 8] : [];
        float? learningRate = hidden.Length > 0 ? 0.01f : null;
        ITransformer trained;
        IDataView data;
        switch (model)
        {
            case Model.LinearRegression or Model.MlpRegression:
                data = mlContext.Data.LoadFromEnumerable(RegressionRows(rows));
                trained = mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
                {
                    HiddenLayers = hidden, LearningRate = learningRate, BatchSize = 32, NumberOfEpochs = epochs, Patience = 0, Seed = seed,
                    ValidationFraction = 0.2f, NumberOfThreads = threads, Communicator = communicator, Progress = progress, CancellationToken = cancellation,
                }).Fit(data);
                break;
            case Model.LinearBinary or Model.MlpBinary:
                data = ClassificationData.Binary(mlContext, rows, seed: 5);
                trained = mlContext.BinaryClassification.Trainers.GradientDescent(new GradientDescentBinaryTrainer.Options
                {
                    HiddenLayers = hidden, LearningRate = learningRate, BatchSize = 32, NumberOfEpochs = epochs, Patience = 0, Seed = seed,
                    ValidationFraction = 0.2f, NumberOfThreads = threads, Communicator = communicator, Progress = progress, CancellationToken = cancellation,
                }).Fit(data);
                break;
            default:
                IDataView text = ClassificationData.Multiclass(mlContext, rows, seed: 5, classNames);
                data = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(text).Transform(text);
                trained = mlContext.MulticlassClassification.Trainers.GradientDescent(new GradientDescentMulticlassTrainer.Options
                {
                    BatchSize = 32, NumberOfEpochs = epochs, Patience = 0, Seed = seed, ValidationFraction = 0.2f,
                    NumberOfThreads = threads, Communicator = communicator, Progress = progress, CancellationToken = cancellation,
                }).Fit(data);
                break;
        }

        GradientDescentModelParameters parameters = ((ISingleFeaturePredictionTransformer<GradientDescentModelParameters>)trained).Model;
        var bits = new List<byte>();
        foreach (DenseLayer layer in parameters.Layers)
        {
            bits.AddRange(System.Runtime.InteropServices.MemoryMarshal.AsBytes(layer.Weights.Span).ToArray());
            bits.AddRange(System.Runtime.InteropServices.MemoryMarshal.AsBytes(layer.Bias.Span).ToArray());
        }

        return new Trained([.. bits], parameters.History.Epochs.Count, parameters.History.StopReason);
    }

    private static IEnumerable<TenFeatureRow> RegressionRows(int rows)
    {
        var random = new Random(11);
        for (int i = 0; i < rows; i++)
        {
            var x = new float[10];
            double y = 0.5;
            for (int j = 0; j < x.Length; j++)
            {
                x[j] = (float)((random.NextDouble() * 4) - 2);
                y += (j - 4.5) * x[j] * 0.3;
            }

            yield return new TenFeatureRow { Features = x, Label = (float)(y + Math.Sin(x[0]) + (0.1 * (random.NextDouble() - 0.5))) };
        }
    }

    private static Trained[] RunRanks(int size, Func<int, Communicator, Trained> body)
    {
        var results = new Trained[size];
        Exception?[] errors = RunRanksCatching(size, (rank, communicator) => results[rank] = body(rank, communicator));
        for (int rank = 0; rank < size; rank++)
        {
            if (errors[rank] is { } error)
            {
                throw new Xunit.Sdk.XunitException($"rank {rank} of {size} failed: {error}");
            }
        }

        return results;
    }

    private static Exception?[] RunRanksCatching(int size, Func<int, Communicator, Trained> body)
    {
        InProcessCommunicator[] group = InProcessCommunicator.CreateGroup(size, Timeout);
        var errors = new Exception?[size];
        var threads = new Thread[size];
        for (int r = 0; r < size; r++)
        {
            int rank = r;
            threads[r] = new Thread(() =>
            {
                using InProcessCommunicator communicator = group[rank];
                try
                {
                    body(rank, communicator);
                }
                catch (Exception error)
                {
                    errors[rank] = error;
                }
            });
            threads[r].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        return errors;
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }

    private sealed record Trained(byte[] Bits, int Epochs, TrainingStopReason? StopReason);

    /// <summary>Calls back synchronously after each epoch (unlike <see cref="Progress{T}"/>, which posts).</summary>
    private sealed class AfterEpoch(Action<int> callback) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => callback(value.Epoch);
    }
}
