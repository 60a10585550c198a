namespace GdTrainer.Tests.Reliability;

using System.Diagnostics;
using System.Globalization;
using GdTrainer.MLNet;
using GdTrainer.Tests.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// A bounded, seeded fuzz over the saved-model loaders (issue 11, item 4 and its standing guard): a small trained
/// pipeline (a mean-variance normalizer, ML.NET's, then GdTrainer's linear regression) is saved, damaged in a few
/// thousand seeded ways (<see cref="ModelFileMutator"/>), loaded and scored on a fixed data set, each case on its own
/// thread with a time limit. Through <see cref="GradientDescentModel.Save"/> and <see cref="GradientDescentModel.Load"/>
/// every outcome must be identical scores or an <see cref="InvalidDataException"/> naming the file: never a hang, never
/// a different score. Files written and read by plain <c>mlContext.Model.Save</c> / <c>Load</c> are fuzzed the same
/// way and their outcomes only recorded (damage to ML.NET's own entries there is ML.NET's).
/// </summary>
/// <remarks>
/// The long run is the same test with more cases, set by environment variables (see docs/reliability.md):
/// <c>GDTRAINER_FUZZ_CASES</c> (cases of the helper route, default 1000), <c>GDTRAINER_FUZZ_PLAIN_CASES</c> (cases of
/// the plain route, default 40), <c>GDTRAINER_FUZZ_FIRST_CASE</c> (index of the first case, default 0; a case's
/// damage depends only on its index, so a long run can be split over processes and any case replayed),
/// <c>GDTRAINER_FUZZ_HANG_SECONDS</c> (default 60), <c>GDTRAINER_FUZZ_REPORT</c> (a file to which each run appends its counts).
/// A run stops at its first hang, whose thread cannot be stopped; the next run resumes at the summary's <c>next=</c>.
/// </remarks>
public sealed class ModelFileFuzzTests : IDisposable
{
    /// <summary>
    /// A load and score of this tiny model takes 10 to 100 ms, but on this shared 2-core machine at a load average of 80
    /// a case was seen to take 8.8 s. A case without a result after this long is counted slow and given until
    /// <see cref="HangSeconds"/> before it is called a hang (a real hang never ends, so the wait costs only real hangs).
    /// </summary>
    private static readonly TimeSpan s_slowCase = TimeSpan.FromSeconds(5);

    /// <summary>Case i draws its damage from <c>new Random(BaseSeed + i)</c>: the same on every run and machine.</summary>
    private const int BaseSeed = 20261202;

    private readonly ITestOutputHelper _output;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-fuzz-" + Guid.NewGuid().ToString("N"));
    private readonly MLContext _mlContext = new(seed: 0);
    private readonly IDataView _scoringData;
    private readonly ITransformer _model;
    private readonly DataViewSchema _schema;

    public ModelFileFuzzTests(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_directory);
        IDataView training = RegressionData.Generate(64, [1.5f, -2f, 0.25f], 0.5f, 0.3f, seed: 11).ToDataView(_mlContext);
        _model = _mlContext.Transforms.NormalizeMeanVariance("Features")
            .Append(_mlContext.Regression.Trainers.GradientDescent(new Options { NumberOfEpochs = 3, BatchSize = 16, Seed = 1 }))
            .Fit(training);
        _schema = training.Schema;
        _scoringData = RegressionData.Generate(16, [0f, 0f, 0f], 0f, 0f, seed: 12).ToDataView(_mlContext);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A hung case may still hold its file; the operating system's temp cleanup takes it.
        }
    }

    [Fact]
    public void EveryDamagedFileWrittenByTheHelperIsAnErrorNamingTheFileOrScoresIdentically()
    {
        string pristine = Path.Combine(_directory, "pristine.zip");
        GradientDescentModel.Save(_mlContext, _model, _schema, pristine);
        float[] expected = Scores(_model);
        Assert.Equal(expected, Scores(GradientDescentModel.Load(new MLContext(), pristine, out _)));

        var loadContext = new MLContext(seed: 1);
        FuzzTally tally = Run(
            "helper",
            File.ReadAllBytes(pristine),
            expected,
            path => GradientDescentModel.Load(loadContext, path, out _),
            IsCleanHelperError,
            Setting("GDTRAINER_FUZZ_CASES", 1000));

        Assert.True(tally.Count(FuzzOutcome.IdenticalScores) > 0, "Some damage (for example to a timestamp in a zip header) leaves the content intact and must load.");
        Assert.True(tally.Count(FuzzOutcome.CleanError) > tally.Cases / 2, "Most damage must be detected.");
        Assert.True(tally.Failures.Count == 0, "Damaged files written by GradientDescentModel.Save must give identical scores or an InvalidDataException naming the file:\n" + string.Join("\n", tally.Failures));
    }

    [Fact]
    public void DamagedFilesWrittenByPlainMLNetAreRecorded()
    {
        string pristine = Path.Combine(_directory, "plain.zip");
        _mlContext.Model.Save(_model, _schema, pristine);
        float[] expected = Scores(_model);
        Assert.Equal(expected, Scores(new MLContext().Model.Load(pristine, out _)));

        var loadContext = new MLContext(seed: 1);
        FuzzTally tally = Run(
            "plain",
            File.ReadAllBytes(pristine),
            expected,
            path => loadContext.Model.Load(path, out _),
            (exception, _) => exception.Message.Length > 0,
            Setting("GDTRAINER_FUZZ_PLAIN_CASES", 40));

        // Recorded, not asserted: the issue found different scores and hangs here, inside ML.NET's own parsers. Asserted:
        // every exception carries a message (an exception without one would be UncleanError on this route).
        Assert.Equal(0, tally.Count(FuzzOutcome.UncleanError));
    }

    /// <summary>Seconds without a result after which a case is a hang: <c>GDTRAINER_FUZZ_HANG_SECONDS</c>, default 60.</summary>
    private static int HangSeconds => Setting("GDTRAINER_FUZZ_HANG_SECONDS", 60);

    private static bool IsCleanHelperError(Exception exception, string path) =>
        exception is InvalidDataException
        && exception.Message.Contains($"The model file '{path}'", StringComparison.Ordinal)
        && exception.Message.Contains("save the model again", StringComparison.OrdinalIgnoreCase);

    private static int Setting(string name, int defaultValue) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : defaultValue;

    private float[] Scores(ITransformer model) => model.Transform(_scoringData).GetColumn<float>("Score").ToArray();

    private FuzzTally Run(string route, byte[] pristine, float[] expected, Func<string, ITransformer> load, Func<Exception, string, bool> isClean, int cases)
    {
        var mutator = new ModelFileMutator(pristine);
        int first = Setting("GDTRAINER_FUZZ_FIRST_CASE", 0);
        var tally = new FuzzTally();
        var clock = Stopwatch.StartNew();
        int next = first;
        for (int index = first; index < first + cases; index++)
        {
            next = index + 1;
            Mutation mutation = mutator.Mutate(new Random(unchecked(BaseSeed + index)));
            string path = Path.Combine(_directory, $"{route}-{index}.zip");
            File.WriteAllBytes(path, mutation.Bytes);
            long started = clock.ElapsedTicks;
            (FuzzOutcome outcome, string detail) = RunCase(path, expected, load, isClean);
            tally.Add(mutation.Kind, outcome, detail, TimeSpan.FromSeconds((clock.ElapsedTicks - started) / (double)Stopwatch.Frequency), s_slowCase);
            if (outcome is FuzzOutcome.DifferentScores or FuzzOutcome.Hang or FuzzOutcome.UncleanError or FuzzOutcome.ErrorWhileScoring)
            {
                string entries = string.Join(", ", mutation.Entry is null ? mutator.DamagedEntries(mutation.Bytes) : [mutation.Entry]);
                tally.AddFailure(entries, $"case {index}: {mutation.Description} (damaged: {entries}) -> {outcome}: {detail}");
            }

            if (outcome == FuzzOutcome.Hang)
            {
                // The hung thread cannot be stopped and keeps a core busy until the process ends: stop here, so that a
                // long run goes on in a new process from GDTRAINER_FUZZ_FIRST_CASE = next (see docs/reliability.md).
                break;
            }

            File.Delete(path);
        }

        string summary = tally.Summary(route, first, next, clock.Elapsed);
        _output.WriteLine(summary);
        string? report = Environment.GetEnvironmentVariable("GDTRAINER_FUZZ_REPORT");
        if (!string.IsNullOrEmpty(report))
        {
            File.AppendAllText(report, summary + Environment.NewLine);
        }

        return tally;
    }

    /// <summary>Loads and scores on a thread of its own, so that a parse that never returns is seen as a hang (it cannot be aborted).</summary>
    private (FuzzOutcome Outcome, string Detail) RunCase(string path, float[] expected, Func<string, ITransformer> load, Func<Exception, string, bool> isClean)
    {
        var task = Task.Factory.StartNew(
            () =>
            {
                ITransformer model;
                try
                {
                    model = load(path);
                }
                catch (Exception exception)
                {
                    return new CaseResult(null, exception, WhileScoring: false);
                }

                try
                {
                    return new CaseResult(Scores(model), null, WhileScoring: false);
                }
                catch (Exception exception)
                {
                    return new CaseResult(null, exception, WhileScoring: true);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        WaitHandle done = ((IAsyncResult)task).AsyncWaitHandle;
        if (!done.WaitOne(s_slowCase) && !done.WaitOne(TimeSpan.FromSeconds(HangSeconds) - s_slowCase))
        {
            return (FuzzOutcome.Hang, $"no result after {HangSeconds} s");
        }

        (float[]? actual, Exception? error, bool whileScoring) = task.Result;
        if (error is not null)
        {
            string detail = $"{error.GetType().Name}: {error.Message}";
            return (whileScoring ? FuzzOutcome.ErrorWhileScoring : isClean(error, path) ? FuzzOutcome.CleanError : FuzzOutcome.UncleanError, detail);
        }

        return actual.AsSpan().SequenceEqual(expected)
            ? (FuzzOutcome.IdenticalScores, string.Empty)
            : (FuzzOutcome.DifferentScores, $"first score {actual!.FirstOrDefault()} instead of {expected[0]}");
    }

    private readonly record struct CaseResult(float[]? Scores, Exception? Error, bool WhileScoring);
}
