namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>Rows the trainer cannot use (issue 11, item 3): counted by reason on the model, or an error on request.</summary>
public sealed class InvalidRowTests
{
    private static readonly float[] s_trueWeights = [2.0f, -1.5f, 0.5f];

    /// <summary>50 clean rows with a few bad ones inserted at known positions, some with several problems.</summary>
    private static (RegressionData Data, RegressionData Clean) Dirty()
    {
        RegressionData clean = RegressionData.Generate(50, s_trueWeights, 0.75f, 0.1f, seed: 3);
        var features = clean.Features.Select(r => (float[])r.Clone()).ToList();
        var labels = clean.Labels.ToList();
        var weights = clean.Weights.ToList();
        void Insert(int at, float[] x, float y, float w)
        {
            features.Insert(at, x);
            labels.Insert(at, y);
            weights.Insert(at, w);
        }

        Insert(2, [1f, float.NaN, 2f], 1f, 1f);                    // Features.
        Insert(5, [1f, 1f, 1f], float.NaN, 1f);                    // Label.
        Insert(9, [float.NaN, 1f, 1f], float.PositiveInfinity, 0f); // Label first: label, weight and features all bad.
        Insert(14, [1f, 1f, 1f], 1f, 0f);                          // Weight zero.
        Insert(20, [1f, 1f, 1f], 1f, -2f);                         // Weight negative.
        Insert(21, [1f, 1f, float.NegativeInfinity], 1f, float.NaN); // Weight before features.
        Insert(30, [1f, 1f, float.PositiveInfinity], 3f, 1f);      // Features.
        return (RegressionData.FromArrays(features.ToArray(), labels.ToArray(), weights.ToArray()), clean);
    }

    private static Options Make(InvalidRowHandling handling = InvalidRowHandling.Skip) => new()
    {
        BatchSize = Options.FullBatch, NumberOfEpochs = 5, ExampleWeightColumnName = "Weight", InvalidRows = handling,
    };

    [Fact]
    public void TheModelCountsTheRowsUsedAndSkippedByReasonAndTheWarningGivesTheReasons()
    {
        (RegressionData dirty, RegressionData clean) = Dirty();
        var logger = new CapturingLogger();
        var mlContext = new MLContext(seed: 0);
        var messages = new List<string>();
        mlContext.Log += (_, e) => { lock (messages) { messages.Add(e.Message); } };
        Options options = Make();
        options.Logger = logger;
        options.MLContext = mlContext;

        GradientDescentRegressionTransformer model = mlContext.Regression.Trainers.GradientDescent(options).Fit(dirty.ToDataView(mlContext));

        // Expected by the documented precedence (label, weight, features), counted here from the inserted rows.
        TrainingRowCounts counts = Assert.IsType<TrainingRowCounts>(model.Model.RowCounts);
        Assert.Equal(50L, counts.Used);
        Assert.Equal(2L, counts.NonFiniteLabel);
        Assert.Equal(3L, counts.InvalidWeight);
        Assert.Equal(2L, counts.NonFiniteFeatures);
        Assert.Equal(7L, counts.Skipped);
        Assert.Equal(57L, counts.Total);

        // Skipping leaves exactly the clean rows: the same model as training on them alone.
        var fromClean = mlContext.Regression.Trainers.GradientDescent(Make()).Fit(clean.ToDataView(mlContext));
        Assert.Equal(fromClean.Weights, model.Weights);
        Assert.Equal(new TrainingRowCounts(50, 0, 0, 0), fromClean.Model.RowCounts);

        CapturingLogger.LogEvent warning = Assert.Single(logger.Events, e => e.Level == LogLevel.Warning);
        Assert.Equal(7L, warning.State["Skipped"]);
        Assert.Equal(57L, warning.State["Total"]);
        Assert.Equal(2L, warning.State["NonFiniteLabel"]);
        Assert.Equal(3L, warning.State["InvalidWeight"]);
        Assert.Equal(2L, warning.State["NonFiniteFeatures"]);
        Assert.Contains("model.Model.RowCounts", warning.Message, StringComparison.Ordinal);
        Assert.Contains(messages, m => m.Contains("skipped 7 of 57 rows of the training data: 2 with a NaN or infinite label, 3 with an example weight", StringComparison.Ordinal)
            && m.Contains("2 with NaN or infinite features", StringComparison.Ordinal));
    }

    [Fact]
    public void ErrorModeNamesTheFirstBadRowItsColumnAndValue()
    {
        (RegressionData dirty, _) = Dirty();
        var mlContext = new MLContext(seed: 0);
        var error = Assert.Throws<InvalidOperationException>(() =>
            mlContext.Regression.Trainers.GradientDescent(Make(InvalidRowHandling.Error)).Fit(dirty.ToDataView(mlContext)));

        Assert.Contains("row 2 (0-based", error.Message, StringComparison.Ordinal);
        Assert.Contains("slot 1 of the feature column 'Features' holds NaN", error.Message, StringComparison.Ordinal);
        Assert.Contains("ReplaceMissingValues", error.Message, StringComparison.Ordinal);
        Assert.Contains("FilterRowsByMissingValues", error.Message, StringComparison.Ordinal);
        Assert.Contains("InvalidRowHandling.Skip", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(float.NaN, 1f, "the label column 'Label' holds NaN")]
    [InlineData(float.NegativeInfinity, 1f, "the label column 'Label' holds -Infinity")]
    [InlineData(1f, -0.5f, "the example weight column 'Weight' holds -0.5")]
    [InlineData(1f, 0f, "the example weight column 'Weight' holds 0")]
    public void ErrorModeNamesALabelOrWeightProblem(float label, float weight, string expected)
    {
        RegressionData clean = RegressionData.Generate(10, s_trueWeights, 0.75f, 0.1f, seed: 4);
        float[] labels = (float[])clean.Labels.Clone();
        float[] weights = (float[])clean.Weights.Clone();
        labels[7] = label;
        weights[7] = weight;
        var data = RegressionData.FromArrays(clean.Features, labels, weights);
        var mlContext = new MLContext(seed: 0);

        var error = Assert.Throws<InvalidOperationException>(() =>
            mlContext.Regression.Trainers.GradientDescent(Make(InvalidRowHandling.Error)).Fit(data.ToDataView(mlContext)));

        Assert.Contains("row 7 (0-based", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ErrorModeTrainsCleanDataLikeSkipMode()
    {
        RegressionData clean = RegressionData.Generate(40, s_trueWeights, 0.75f, 0.1f, seed: 5);
        var mlContext = new MLContext(seed: 0);
        var strict = mlContext.Regression.Trainers.GradientDescent(Make(InvalidRowHandling.Error)).Fit(clean.ToDataView(mlContext));
        var lenient = mlContext.Regression.Trainers.GradientDescent(Make()).Fit(clean.ToDataView(mlContext));
        Assert.Equal(lenient.Weights, strict.Weights);
        Assert.Equal(new TrainingRowCounts(40, 0, 0, 0), strict.Model.RowCounts);
    }

    [Fact]
    public void AnUndefinedInvalidRowHandlingFailsAtConstruction()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new MLContext().Regression.Trainers.GradientDescent(new Options { InvalidRows = (InvalidRowHandling)7 }));
        Assert.Equal(nameof(Options.InvalidRows), error.ParamName);
        Assert.Contains("but was 7", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDefaultIsSkip() => Assert.Equal(InvalidRowHandling.Skip, new Options().InvalidRows);

    [Fact]
    public void RowCountsRejectNegativeCountsAndDescribeThemselves()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingRowCounts(1, -1, 0, 0));
        Assert.Equal(
            "used 5 of 11 rows; skipped 1 with a NaN or infinite label, 2 with an example weight that is NaN, infinite, zero or negative, 3 with NaN or infinite features",
            new TrainingRowCounts(5, 1, 2, 3).ToString());
    }

    [Fact]
    public void TheCountsAreNotSavedWithTheModel()
    {
        RegressionData clean = RegressionData.Generate(20, s_trueWeights, 0.75f, 0.1f, seed: 6);
        var mlContext = new MLContext(seed: 0);
        IDataView data = clean.ToDataView(mlContext);
        var model = mlContext.Regression.Trainers.GradientDescent(Make()).Fit(data);
        string path = Path.Combine(Path.GetTempPath(), $"gdtrainer-rowcounts-{Guid.NewGuid():N}.zip");
        try
        {
            GradientDescentModel.Save(mlContext, model, data.Schema, path);
            var loaded = Assert.IsType<GradientDescentRegressionTransformer>(GradientDescentModel.Load(mlContext, path, out _));
            Assert.NotNull(model.Model.RowCounts);
            Assert.Null(loaded.Model.RowCounts); // As documented on RowCounts.
        }
        finally
        {
            File.Delete(path);
        }
    }
}
