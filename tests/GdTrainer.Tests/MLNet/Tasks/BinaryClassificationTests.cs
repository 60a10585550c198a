namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Options = GdTrainer.MLNet.GradientDescentBinaryTrainer.Options;

public sealed class BinaryClassificationTests
{
    private readonly MLContext _mlContext = new(seed: 1);

    private static Options Quick(params int[] hidden) => new() { NumberOfEpochs = 40, Seed = 5, HiddenLayers = hidden };

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 6 })]
    public void EachOutputColumnMatchesTheLogitComputedByHandInDouble(int[] hidden)
    {
        IDataView data = ClassificationData.Binary(_mlContext, 400, seed: 2);
        GradientDescentBinaryTransformer model = _mlContext.BinaryClassification.Trainers.GradientDescent(Quick(hidden)).Fit(data);

        IDataView scored = model.Transform(data);
        float[][] features = [.. scored.GetColumn<float[]>("Features")];
        float[] scores = [.. scored.GetColumn<float>("Score")];
        float[] probabilities = [.. scored.GetColumn<float>("Probability")];
        bool[] predicted = [.. scored.GetColumn<bool>("PredictedLabel")];
        for (int i = 0; i < features.Length; i++)
        {
            double logit = ClassificationData.Forward(model.Model.Layers, features[i])[0];
            double probability = 1 / (1 + Math.Exp(-logit));
            Assert.Equal(logit, scores[i], 1e-4);
            Assert.Equal(probability, probabilities[i], 1e-6);
            Assert.Equal(probabilities[i] >= 0.5f, predicted[i]);
        }

        Assert.Contains(true, predicted);
        Assert.Contains(false, predicted);
    }

    [Fact]
    public void TheDerivedRateGrowsWithTheBatchWhileAUserRateStaysFixed()
    {
        // The derived rate is 1 / (lambda_max(H) + 2 max ||a||^2 / B) times the loss's factor: its small-batch term shrinks as
        // the adaptive schedule grows the batch, so the rate must rise at each growth; a rate the user set must not move.
        IDataView data = ClassificationData.Binary(_mlContext, 3000, seed: 3);
        GradientDescentBinaryTransformer derived = _mlContext.BinaryClassification.Trainers.GradientDescent(new Options { BatchSize = 32, Seed = 5 }).Fit(data);
        IReadOnlyList<GdTrainer.Training.EpochReport> epochs = derived.Model.History.Epochs;
        int growths = 0;
        for (int i = 1; i < epochs.Count; i++)
        {
            if (epochs[i].BatchSize > epochs[i - 1].BatchSize)
            {
                growths++;
                Assert.True(epochs[i].LearningRate > epochs[i - 1].LearningRate, $"epoch {epochs[i].Epoch}: {epochs[i - 1].LearningRate} -> {epochs[i].LearningRate}");
            }
            else
            {
                Assert.Equal(epochs[i - 1].LearningRate, epochs[i].LearningRate);
            }
        }

        Assert.True(growths >= 1, "the run never grew its batch; the test needs a plateau");

        GradientDescentBinaryTransformer fixedRate = _mlContext.BinaryClassification.Trainers.GradientDescent(new Options { BatchSize = 32, Seed = 5, LearningRate = 0.05f }).Fit(data);
        Assert.Contains(fixedRate.Model.History.Epochs, e => e.BatchSize > 32);
        Assert.All(fixedRate.Model.History.Epochs, e => Assert.Equal(0.05f, e.LearningRate));
    }

    [Fact]
    public void TheProbabilityIsStableForHugeLogitsAndTheTieIsTrue()
    {
        Assert.Equal(1f, BinaryColumns.Sigmoid(1000f));
        Assert.Equal(0f, BinaryColumns.Sigmoid(-1000f));
        Assert.Equal(0.5f, BinaryColumns.Sigmoid(0f));
        Assert.Equal(1 / (1 + Math.Exp(30)), BinaryColumns.Sigmoid(-30f), 1e-18);
        Assert.True(float.IsNaN(BinaryColumns.Sigmoid(float.NaN)));
    }

    [Fact]
    public void TheColumnsCarryTheAnnotationsOfMLNetsBinaryScorers()
    {
        IDataView data = ClassificationData.Binary(_mlContext, 100, seed: 3);
        GradientDescentBinaryTransformer ours = _mlContext.BinaryClassification.Trainers.GradientDescent(Quick()).Fit(data);
        var theirs = _mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression().Fit(data);
        DataViewSchema ourSchema = ours.GetOutputSchema(data.Schema);
        DataViewSchema theirSchema = theirs.GetOutputSchema(data.Schema);
        foreach (string name in new[] { "PredictedLabel", "Score", "Probability" })
        {
            Assert.Equal(theirSchema[name].Type, ourSchema[name].Type);
            Assert.Equal(theirSchema[name].Index, ourSchema[name].Index);
            string[] kinds = [.. theirSchema[name].Annotations.Schema.Select(c => c.Name).Order()];
            Assert.Equal(kinds, ourSchema[name].Annotations.Schema.Select(c => c.Name).Order());
            foreach (string kind in new[] { "ScoreColumnKind", "ScoreValueKind" })
            {
                ReadOnlyMemory<char> expected = default, actual = default;
                theirSchema[name].Annotations.GetValue(kind, ref expected);
                ourSchema[name].Annotations.GetValue(kind, ref actual);
                Assert.Equal(expected.ToString(), actual.ToString());
            }

            uint expectedSet = 0, actualSet = 0;
            theirSchema[name].Annotations.GetValue("ScoreColumnSetId", ref expectedSet);
            ourSchema[name].Annotations.GetValue("ScoreColumnSetId", ref actualSet);
            Assert.Equal(expectedSet, actualSet);
            Assert.Equal(theirSchema[name].Annotations.Schema["ScoreColumnSetId"].Type, ourSchema[name].Annotations.Schema["ScoreColumnSetId"].Type);
        }

        // Scoring twice: the second scorer's columns get the next set id, as ML.NET's do.
        DataViewSchema twice = ours.GetOutputSchema(ours.GetOutputSchema(data.Schema));
        uint second = 0;
        twice["Score"].Annotations.GetValue("ScoreColumnSetId", ref second);
        Assert.Equal(2u, second);
    }

    [Fact]
    public void EvaluateCrossValidatePermutationImportanceAndPredictionEngineWork()
    {
        IDataView data = ClassificationData.Binary(_mlContext, 600, seed: 4);
        GradientDescentBinaryTrainer trainer = _mlContext.BinaryClassification.Trainers.GradientDescent(Quick());
        GradientDescentBinaryTransformer model = trainer.Fit(data);
        IDataView scored = model.Transform(data);

        CalibratedBinaryClassificationMetrics metrics = _mlContext.BinaryClassification.Evaluate(scored);
        Assert.InRange(metrics.AreaUnderRocCurve, 0.8, 1.0);

        // Log-losses on these rows, computed here: the best constant predictor (the positive rate), the model that drew the
        // labels, and ours. Logistic regression minimises this very loss over a family that contains the generating model, so
        // trained on these rows it must come down to that model's loss, far below the constant's.
        bool[] labels = [.. scored.GetColumn<bool>("Label")];
        float[][] features = [.. scored.GetColumn<float[]>("Features")];
        float[] probabilities = [.. scored.GetColumn<float>("Probability")];
        double positiveRate = labels.Count(label => label) / (double)labels.Length;
        double constantLogLoss = LogLossInBits(labels, _ => positiveRate);
        double generatingLogLoss = LogLossInBits(labels, i => ClassificationData.BinaryTrueProbability(features[i]));
        double ourLogLoss = LogLossInBits(labels, i => probabilities[i]);
        Assert.Equal(ourLogLoss, metrics.LogLoss, 1e-6); // ML.NET's log-loss is in bits, the same quantity.
        Assert.True(generatingLogLoss < 0.7 * constantLogLoss, $"the data carry signal: generating {generatingLogLoss}, constant {constantLogLoss}");
        Assert.True(ourLogLoss <= generatingLogLoss + 0.01, $"log-loss {ourLogLoss} bits, generating model {generatingLogLoss}, constant {constantLogLoss}");
        BinaryClassificationMetrics uncalibrated = _mlContext.BinaryClassification.EvaluateNonCalibrated(scored);
        Assert.Equal(metrics.AreaUnderRocCurve, uncalibrated.AreaUnderRocCurve, 1e-12);

        var folds = _mlContext.BinaryClassification.CrossValidate(data, trainer, numberOfFolds: 3);
        Assert.Equal(3, folds.Count);
        Assert.All(folds, f => Assert.InRange(f.Metrics.AreaUnderRocCurve, 0.75, 1.0));

        var importance = _mlContext.BinaryClassification.PermutationFeatureImportance(model, data, permutationCount: 1);
        Assert.Equal(ClassificationData.Features, importance.Length);
        // x0 has the largest true weight, x3 none: permuting x0 costs the most AUC.
        Assert.True(importance[0].AreaUnderRocCurve.Mean < importance[3].AreaUnderRocCurve.Mean);

        var engine = _mlContext.Model.CreatePredictionEngine<ClassificationData.FeaturesOnly, ClassificationData.BinaryPrediction>(model);
        float[][] rows = [[3f, 0f, 0f, 0f], [-3f, 0f, 0f, 0f], [0.1f, 0.2f, -0.3f, 0.4f]];
        float[] expectedScores = [.. model.Transform(_mlContext.Data.LoadFromEnumerable(rows.Select(r => new ClassificationData.FeaturesOnly { Features = r }))).GetColumn<float>("Score")];
        for (int i = 0; i < rows.Length; i++)
        {
            ClassificationData.BinaryPrediction prediction = engine.Predict(new ClassificationData.FeaturesOnly { Features = rows[i] });
            Assert.Equal(expectedScores[i], prediction.Score);
            Assert.Equal(BinaryColumns.Sigmoid(expectedScores[i]), prediction.Probability);
            Assert.Equal(prediction.Probability >= 0.5f, prediction.PredictedLabel);
        }
    }

    [Fact]
    public void ALabelThatIsNotBooleanIsRejectedWithTheColumnItsTypeAndHowToConvert()
    {
        IDataView data = _mlContext.Data.LoadFromEnumerable(new[] { new FloatLabelRow { Features = [1f, 2f, 3f, 4f], Target = 1f } });
        var trainer = _mlContext.BinaryClassification.Trainers.GradientDescent(labelColumnName: "Target");
        ArgumentException error = Assert.ThrowsAny<ArgumentException>(() => trainer.Fit(data));
        Assert.Contains("'Target'", error.Message);
        Assert.Contains("Single", error.Message);
        Assert.Contains("ConvertType", error.Message);
        ArgumentException shapeError = Assert.ThrowsAny<ArgumentException>(() => trainer.GetOutputSchema(SchemaShapes.ShapeOf(data.Schema)));
        Assert.Contains("Boolean", shapeError.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ATrainingSetWithASingleClassIsAClearError(bool label)
    {
        IDataView data = ClassificationData.Binary(_mlContext, 50, seed: 6, constantLabel: label);
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => _mlContext.BinaryClassification.Trainers.GradientDescent(Quick()).Fit(data));
        Assert.Contains("'Label'", error.Message);
        Assert.Contains(label ? "true in all 50" : "false in all 50", error.Message);
    }

    [Fact]
    public void TheBiasStartsAtTheLogOddsAndTrainingIsDeterministic()
    {
        IDataView data = ClassificationData.Binary(_mlContext, 300, seed: 7);
        var options = new Options { NumberOfEpochs = 1, LearningRate = 1e-12f, Seed = 3, Shuffle = false };
        GradientDescentBinaryTransformer barelyTrained = _mlContext.BinaryClassification.Trainers.GradientDescent(options).Fit(data);
        bool[] labels = [.. data.GetColumn<bool>("Label")];
        double rate = labels.Count(l => l) / (double)labels.Length;
        // The weights are still ~0, so the logit of the mean row is the bias: the log-odds of the positive rate.
        float[][] features = [.. data.GetColumn<float[]>("Features")];
        float[] mean = [.. Enumerable.Range(0, ClassificationData.Features).Select(j => features.Average(r => r[j]))];
        Assert.Equal(Math.Log(rate / (1 - rate)), ClassificationData.Forward(barelyTrained.Model.Layers, mean)[0], 1e-3);

        GradientDescentBinaryTransformer first = _mlContext.BinaryClassification.Trainers.GradientDescent(Quick(5)).Fit(data);
        GradientDescentBinaryTransformer second = _mlContext.BinaryClassification.Trainers.GradientDescent(Quick(5)).Fit(data);
        Assert.Equal(first.Model.Layers[0].Weights.ToArray(), second.Model.Layers[0].Weights.ToArray());
        Assert.Equal(first.LossHistory, second.LossHistory);
    }

    [Fact]
    public void ThePositiveClassWeightReachesTheLossAndRaisesThePositiveProbabilities()
    {
        IDataView data = ClassificationData.Binary(_mlContext, 400, seed: 8);
        float[] plain = [.. _mlContext.BinaryClassification.Trainers.GradientDescent(Quick()).Fit(data).Transform(data).GetColumn<float>("Probability")];
        var weighted = new Options { NumberOfEpochs = 40, Seed = 5, PositiveClassWeight = 4f };
        float[] heavier = [.. _mlContext.BinaryClassification.Trainers.GradientDescent(weighted).Fit(data).Transform(data).GetColumn<float>("Probability")];
        Assert.True(heavier.Average() > plain.Average() + 0.1, $"{heavier.Average()} vs {plain.Average()}");
        Assert.Throws<ArgumentException>(() => new GradientDescentBinaryTrainer(new Options { PositiveClassWeight = 2f, Loss = new GdTrainer.Losses.BinaryCrossEntropyWithLogitsLoss() }));
    }

    /// <summary>The mean binary log-loss in bits (ML.NET's unit) of the probabilities of true that <paramref name="probabilityOf"/> gives each row.</summary>
    private static double LogLossInBits(bool[] labels, Func<int, double> probabilityOf) =>
        labels.Select((label, i) => -Math.Log2(label ? probabilityOf(i) : 1 - probabilityOf(i))).Average();

    private sealed class FloatLabelRow
    {
        [VectorType(4)]
        public float[] Features = [];

        public float Target;
    }
}
