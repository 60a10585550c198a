namespace GdTrainer.Tests.Reliability;

using GdTrainer.MLNet;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Compare;
using GdTrainer.Samples.Data;
using GdTrainer.Samples.Persistence;
using GdTrainer.Samples.Seed;
using GdTrainer.Tests.MLNet;
using Microsoft.ML;

/// <summary>
/// Bad inputs of issue 11's list that had no test elsewhere (docs/reliability.md lists them all): each gets an
/// exception of a clear type whose message names the input and what to do.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-badinput-" + Guid.NewGuid().ToString("N"));
    private readonly MLContext _mlContext = new(seed: 0);

    public BadInputTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(new[] { "seed", "--iterations" }, "Option --iterations needs a value.")]
    [InlineData(new[] { "seed", "--seed", "1", "--seed", "2" }, "Option --seed is given twice.")]
    [InlineData(new[] { "seed", "5" }, "Expected an option such as --seed, but found '5'.")]
    [InlineData(new[] { "seed", "--" }, "Expected an option such as --seed, but found '--'.")]
    public void MalformedCommandLinesAreRefusedNamingTheArgument(string[] args, string expected)
    {
        var error = Assert.Throws<CommandLineException>(() => CommandLineOptions.Parse(args, SeedCommand.Name));
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void FlagsTakeNoValueAndMayStandAnywhere()
    {
        // The classify usage shows [--no-lightgbm] [--linear-only] as bare flags: before, a flag swallowed the next option as
        // its value ("--no-lightgbm --repeats 5" failed on '5'; "--linear-only --no-lightgbm" silently dropped the second).
        CommandLineOptions options = CommandLineOptions.Parse(["classify", "--no-lightgbm", "--repeats", "5", "--linear-only"], SeedCommand.Name);
        Assert.True(options.GetFlag("--no-lightgbm"));
        Assert.True(options.GetFlag("--linear-only"));
        Assert.Equal(5, options.GetInt32("--repeats", 3));
        Assert.False(CommandLineOptions.Parse(["classify", "--repeats", "5"], SeedCommand.Name).GetFlag("--no-lightgbm"));
        var twice = Assert.Throws<CommandLineException>(() => CommandLineOptions.Parse(["classify", "--linear-only", "--linear-only"], SeedCommand.Name));
        Assert.Equal("Option --linear-only is given twice.", twice.Message);
    }

    [Theory]
    [InlineData("--normalizer", "zscore", "Option --normalizer must be none, fixzero or meanvariance, but was 'zscore'.")]
    [InlineData("--test-fraction", "1", "Option --test-fraction must be below 1, but was 1.")]
    public void CompareRefusesBadOptionsBeforeLoadingData(string name, string value, string expected)
    {
        var error = Assert.Throws<CommandLineException>(() =>
            CompareCommand.Run(CommandLineOptions.Parse(["compare", name, value], SeedCommand.Name), TextWriter.Null));
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void PredictWithoutAModelOrWithADamagedOneIsAClearError()
    {
        var missing = Assert.Throws<CommandLineException>(() =>
            PredictCommand.Run(CommandLineOptions.Parse(["predict"], SeedCommand.Name), TextWriter.Null));
        Assert.Equal("Command 'predict' needs --model PATH.", missing.Message);

        string path = Path.Combine(_directory, "damaged.zip");
        File.WriteAllText(path, "not a model");
        var damaged = Assert.Throws<InvalidDataException>(() =>
            PredictCommand.Run(CommandLineOptions.Parse(["predict", "--model", path], SeedCommand.Name), TextWriter.Null));
        Assert.Contains($"The model file '{path}' could not be loaded", damaged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingOrEmptyCsvIsNamed()
    {
        string absent = Path.Combine(_directory, "absent.csv");
        var missing = Assert.Throws<FileNotFoundException>(() => CsvRegressionData.Load(_mlContext, absent, null));
        Assert.Equal($"The data file '{absent}' does not exist.", missing.Message);

        string empty = Path.Combine(_directory, "empty.csv");
        File.WriteAllText(empty, string.Empty);
        var noHeader = Assert.Throws<InvalidDataException>(() => CsvRegressionData.Load(_mlContext, empty, null));
        Assert.Contains("is empty; it needs a header line", noHeader.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainingOnAnEmptyDataViewIsAClearError()
    {
        IDataView data = RegressionData.Generate(20, [1f, 2f], 0f, 0.1f, seed: 1).ToDataView(_mlContext);
        IDataView empty = _mlContext.Data.FilterRowsByColumn(data, "Label", lowerBound: 1e30);

        var error = Assert.Throws<InvalidOperationException>(() => _mlContext.Regression.Trainers.GradientDescent().Fit(empty));
        Assert.Contains("no rows to train on", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoringDataWithoutTheFeatureColumnNamesTheColumnsThereAre()
    {
        IDataView data = RegressionData.Generate(20, [1f, 2f], 0f, 0.1f, seed: 1).ToDataView(_mlContext);
        var model = _mlContext.Regression.Trainers.GradientDescent(numberOfEpochs: 2).Fit(data);

        var error = Assert.ThrowsAny<ArgumentException>(() => model.Transform(_mlContext.Data.LoadFromEnumerable(new[] { new OtherRow() })));
        Assert.Contains("The feature column 'Features' was not found in the input. Available columns: 'A'.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SavingToOrLoadingFromADirectorySaysItIsADirectory()
    {
        IDataView data = RegressionData.Generate(20, [1f, 2f], 0f, 0.1f, seed: 1).ToDataView(_mlContext);
        var model = _mlContext.Regression.Trainers.GradientDescent(numberOfEpochs: 2).Fit(data);

        var save = Assert.Throws<IOException>(() => GradientDescentModel.Save(_mlContext, model, data.Schema, _directory));
        Assert.Contains($"Cannot save the model to '{_directory}': that is a directory", save.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_directory));

        var load = Assert.Throws<FileNotFoundException>(() => GradientDescentModel.Load(_mlContext, _directory, out _));
        Assert.Contains("is a directory, not a model file", load.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyModelFileIsAClearError()
    {
        string path = Path.Combine(_directory, "empty.zip");
        File.WriteAllBytes(path, []);
        var error = Assert.Throws<InvalidDataException>(() => GradientDescentModel.Load(_mlContext, path, out _));
        Assert.Contains($"The model file '{path}' could not be loaded: it is corrupted, truncated or not an ML.NET model file", error.Message, StringComparison.Ordinal);
    }

    private sealed class OtherRow
    {
        public float A { get; set; } = 1f;
    }
}
