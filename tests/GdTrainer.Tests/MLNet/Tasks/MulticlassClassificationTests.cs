namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Options = GdTrainer.MLNet.GradientDescentMulticlassTrainer.Options;

public sealed class MulticlassClassificationTests
{
    private readonly MLContext _mlContext = new(seed: 1);

    private static Options Quick(params int[] hidden) => new() { NumberOfEpochs = 40, Seed = 5, HiddenLayers = hidden };

    private IDataView Keyed(IDataView data) => _mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 6 })]
    public void ScoreIsTheSoftmaxOfTheLogitsComputedByHandAndPredictedLabelMapsBackToTheText(int[] hidden)
    {
        IDataView data = Keyed(ClassificationData.Multiclass(_mlContext, 450, seed: 2));
        GradientDescentMulticlassTransformer model = _mlContext.MulticlassClassification.Trainers.GradientDescent(Quick(hidden)).Fit(data);
        Assert.Equal(3, model.ClassCount);

        IDataView scored = _mlContext.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel").Fit(model.Transform(data)).Transform(model.Transform(data));
        float[][] features = [.. scored.GetColumn<float[]>("Features")];
        float[][] scores = [.. scored.GetColumn<float[]>("Score")];
        uint[] keys = [.. scored.GetColumn<uint>("PredictedLabel")];
        string[] texts = [.. scored.GetColumn<string>("PredictedText")];
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        data.Schema["Label"].GetKeyValues(ref keyValues);
        string[] names = [.. keyValues.DenseValues().Select(v => v.ToString())];
        for (int i = 0; i < features.Length; i++)
        {
            double[] logits = ClassificationData.Forward(model.Model.Layers, features[i]);
            double max = logits.Max();
            double sum = logits.Sum(l => Math.Exp(l - max));
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(Math.Exp(logits[c] - max) / sum, scores[i][c], 1e-6);
            }

            int best = Array.IndexOf(logits, logits.Max());
            Assert.Equal((uint)(best + 1), keys[i]);
            Assert.Equal(names[best], texts[i]);
        }

        double accuracy = _mlContext.MulticlassClassification.Evaluate(model.Transform(data)).MacroAccuracy;
        Assert.InRange(accuracy, 0.6, 1.0);
    }

    [Fact]
    public void TheColumnsHaveTheTypesAndAnnotationsOfMLNetsMaximumEntropyTrainers()
    {
        IDataView data = Keyed(ClassificationData.Multiclass(_mlContext, 150, seed: 3));
        DataViewSchema ours = _mlContext.MulticlassClassification.Trainers.GradientDescent(Quick()).Fit(data).GetOutputSchema(data.Schema);
        DataViewSchema theirs = _mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy().Fit(data).GetOutputSchema(data.Schema);
        foreach (string name in new[] { "PredictedLabel", "Score" })
        {
            Assert.Equal(theirs[name].Type, ours[name].Type);
            Assert.Equal(theirs[name].Index, ours[name].Index);
            foreach (string kind in new[] { "ScoreColumnKind", "ScoreValueKind" })
            {
                ReadOnlyMemory<char> expected = default, actual = default;
                theirs[name].Annotations.GetValue(kind, ref expected);
                ours[name].Annotations.GetValue(kind, ref actual);
                Assert.Equal(expected.ToString(), actual.ToString());
            }
        }

        VBuffer<ReadOnlyMemory<char>> theirSlots = default, ourSlots = default, theirKeys = default, ourKeys = default;
        theirs["Score"].GetSlotNames(ref theirSlots);
        ours["Score"].GetSlotNames(ref ourSlots);
        Assert.Equal(theirSlots.DenseValues().Select(v => v.ToString()), ourSlots.DenseValues().Select(v => v.ToString()));
        theirs["PredictedLabel"].GetKeyValues(ref theirKeys);
        ours["PredictedLabel"].GetKeyValues(ref ourKeys);
        Assert.Equal(theirKeys.DenseValues().Select(v => v.ToString()), ourKeys.DenseValues().Select(v => v.ToString()));
        Assert.Equal(["red", "green", "blue"], ourKeys.DenseValues().Select(v => v.ToString()).Order().Reverse());
    }

    [Fact]
    public void EvaluateCrossValidatePermutationImportanceAndPredictionEngineWork()
    {
        IDataView data = Keyed(ClassificationData.Multiclass(_mlContext, 600, seed: 4));
        GradientDescentMulticlassTrainer trainer = _mlContext.MulticlassClassification.Trainers.GradientDescent(Quick());
        GradientDescentMulticlassTransformer model = trainer.Fit(data);

        MulticlassClassificationMetrics metrics = _mlContext.MulticlassClassification.Evaluate(model.Transform(data));
        Assert.InRange(metrics.MicroAccuracy, 0.7, 1.0);
        Assert.InRange(metrics.LogLoss, 0.05, 0.9);
        Assert.Equal(3, metrics.ConfusionMatrix.NumberOfClasses);

        var folds = _mlContext.MulticlassClassification.CrossValidate(data, trainer, numberOfFolds: 3);
        Assert.All(folds, f => Assert.InRange(f.Metrics.MacroAccuracy, 0.6, 1.0));

        var importance = _mlContext.MulticlassClassification.PermutationFeatureImportance(model, data, permutationCount: 1);
        Assert.Equal(ClassificationData.FeatureCount, importance.Length);
        // Features 0..2 separate the classes, feature 3 is noise.
        Assert.True(importance[0].MacroAccuracy.Mean < importance[3].MacroAccuracy.Mean);

        var engine = _mlContext.Model.CreatePredictionEngine<ClassificationData.FeaturesOnly, KeyPrediction>(model);
        float[][] rows = [[4f, 0f, 0f, 0f], [0f, 4f, 0f, 0f], [0f, 0f, 4f, 0f]];
        float[][] expected = [.. model.Transform(_mlContext.Data.LoadFromEnumerable(rows.Select(r => new ClassificationData.FeaturesOnly { Features = r }))).GetColumn<float[]>("Score")];
        for (int i = 0; i < rows.Length; i++)
        {
            KeyPrediction prediction = engine.Predict(new ClassificationData.FeaturesOnly { Features = rows[i] });
            Assert.Equal(expected[i], prediction.Score);
            Assert.Equal((uint)(Array.IndexOf(expected[i], expected[i].Max()) + 1), prediction.PredictedLabel);
        }
    }

    [Fact]
    public void AClassThatNeverAppearsKeepsItsOutputWithALowProbabilityAndMissingKeysAreSkippedAndCounted()
    {
        var random = new Random(7);
        string[] names = ["a", "b", "c"];
        var rows = new List<ClassificationData.TextLabelRow>();
        for (int i = 0; i < 300; i++)
        {
            int c = random.Next(3); // Classes a, b, c of the four keys: d never appears.
            float[] x = ClassificationData.Gaussians(random, ClassificationData.FeatureCount);
            x[c] += 2f;
            rows.Add(new ClassificationData.TextLabelRow { Features = x, Label = i % 50 == 0 ? "not a class" : names[c] }); // Maps to the missing key 0.
        }

        IDataView raw = _mlContext.Data.LoadFromEnumerable(rows);
        IDataView classes = _mlContext.Data.LoadFromEnumerable(new[] { "a", "b", "c", "d" }.Select(n => new NameRow { Label = n }));
        IDataView data = _mlContext.Transforms.Conversion.MapValueToKey("Label", keyData: classes).Fit(raw).Transform(raw);
        Assert.Equal(6, data.GetColumn<uint>("Label").Count(k => k == 0));
        GradientDescentMulticlassTransformer model = _mlContext.MulticlassClassification.Trainers.GradientDescent(Quick()).Fit(data);
        Assert.Equal(4, model.ClassCount);
        Assert.Equal(6, model.Model.RowCounts!.NonFiniteLabel);
        Assert.Equal(294, model.Model.RowCounts.Used);
        float[][] scores = [.. model.Transform(data).GetColumn<float[]>("Score")];
        Assert.All(scores, s => Assert.True(s[3] < 0.05f, $"unseen class probability {s[3]}"));
        Assert.DoesNotContain(4u, model.Transform(data).GetColumn<uint>("PredictedLabel"));

        var strict = new Options { NumberOfEpochs = 5, InvalidRows = InvalidRowHandling.Error };
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => _mlContext.MulticlassClassification.Trainers.GradientDescent(strict).Fit(data));
        Assert.Contains("'Label'", error.Message);
    }

    [Fact]
    public void BadLabelsAreClearErrorsNamingTheColumn()
    {
        IDataView text = ClassificationData.Multiclass(_mlContext, 30, seed: 8);
        ArgumentException notKey = Assert.ThrowsAny<ArgumentException>(() => _mlContext.MulticlassClassification.Trainers.GradientDescent().Fit(text));
        Assert.Contains("'Label'", notKey.Message);
        Assert.Contains("MapValueToKey", notKey.Message);

        IDataView oneKey = _mlContext.Data.LoadFromEnumerable(new[] { new OneKeyRow { Features = [1f, 2f, 3f, 4f], Label = 1 } });
        ArgumentException single = Assert.ThrowsAny<ArgumentException>(() => _mlContext.MulticlassClassification.Trainers.GradientDescent().Fit(oneKey));
        Assert.Contains("'Label'", single.Message);
        Assert.Contains("single key", single.Message);

        IDataView onlyOne = ClassificationData.Multiclass(_mlContext, 30, seed: 9, names: ["only"]);
        IDataView classes = _mlContext.Data.LoadFromEnumerable(new[] { new NameRow { Label = "only" }, new NameRow { Label = "other" } });
        IDataView oneClass = _mlContext.Transforms.Conversion.MapValueToKey("Label", keyData: classes).Fit(onlyOne).Transform(onlyOne);
        Assert.Equal(2ul, ((KeyDataViewType)oneClass.Schema["Label"].Type).Count);
        InvalidOperationException seenOnce = Assert.Throws<InvalidOperationException>(() => _mlContext.MulticlassClassification.Trainers.GradientDescent(Quick()).Fit(oneClass));
        Assert.Contains("Only one class", seenOnce.Message);

        IDataView data = Keyed(ClassificationData.Multiclass(_mlContext, 30, seed: 10));
        ArgumentException weights = Assert.ThrowsAny<ArgumentException>(() =>
            _mlContext.MulticlassClassification.Trainers.GradientDescent(new Options { ClassWeights = [1f, 2f] }).Fit(data));
        Assert.Contains("3 classes", weights.Message);
    }

    [Fact]
    public void LabelSmoothingAndClassWeightsReachTheLossAndTrainingIsDeterministic()
    {
        IDataView data = Keyed(ClassificationData.Multiclass(_mlContext, 300, seed: 11));
        float[][] plain = [.. _mlContext.MulticlassClassification.Trainers.GradientDescent(Quick()).Fit(data).Transform(data).GetColumn<float[]>("Score")];
        float[][] smoothed = [.. _mlContext.MulticlassClassification.Trainers.GradientDescent(new Options { NumberOfEpochs = 40, Seed = 5, LabelSmoothing = 0.3f }).Fit(data).Transform(data).GetColumn<float[]>("Score")];
        // Smoothing keeps the probabilities away from 0 and 1.
        Assert.True(smoothed.Average(s => s.Max()) < plain.Average(s => s.Max()) - 0.02);
        float[][] weighted = [.. _mlContext.MulticlassClassification.Trainers.GradientDescent(new Options { NumberOfEpochs = 40, Seed = 5, ClassWeights = [5f, 1f, 1f] }).Fit(data).Transform(data).GetColumn<float[]>("Score")];
        Assert.True(weighted.Average(s => s[0]) > plain.Average(s => s[0]) + 0.02);

        GradientDescentMulticlassTransformer first = _mlContext.MulticlassClassification.Trainers.GradientDescent(Quick(4)).Fit(data);
        GradientDescentMulticlassTransformer second = _mlContext.MulticlassClassification.Trainers.GradientDescent(Quick(4)).Fit(data);
        Assert.Equal(first.Model.Layers[1].Weights.ToArray(), second.Model.Layers[1].Weights.ToArray());
    }

    private sealed class NameRow
    {
        public string Label = string.Empty;
    }

    private sealed class OneKeyRow
    {
        [VectorType(4)]
        public float[] Features = [];

        [KeyType(1)]
        public uint Label;
    }

#pragma warning disable CS0649 // Set by ML.NET.
    private sealed class KeyPrediction
    {
        public uint PredictedLabel;

        public float[] Score = [];
    }
#pragma warning restore CS0649
}
