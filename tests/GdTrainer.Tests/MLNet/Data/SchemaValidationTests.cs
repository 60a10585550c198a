namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

public sealed class SchemaValidationTests
{
    private readonly MLContext _mlContext = new(seed: 0);

    private sealed class BoolLabelRow
    {
        public bool Label;

        [VectorType(2)]
        public float[] Features = [];
    }

    private sealed class DoubleLabelRow
    {
        public double Label;

        [VectorType(2)]
        public float[] Features = [];
    }

    private sealed class VariableFeaturesRow
    {
        public float Label;

        public float[] Features = [];
    }

    private sealed class DoubleFeaturesRow
    {
        public float Label;

        [VectorType(2)]
        public double[] Features = [];
    }

    private sealed class ScalarFeatureRow
    {
        public float Label;

        public float Features;

        public int Weight;
    }

    private IDataView Load<T>(params T[] rows)
        where T : class => _mlContext.Data.LoadFromEnumerable(rows);

    private static void AssertNames(Exception error, params string[] parts)
    {
        foreach (string part in parts)
        {
            Assert.Contains(part, error.Message, StringComparison.Ordinal);
        }
    }

    private void AssertBothRejected(IDataView data, GradientDescentRegressionTrainer trainer, params string[] parts)
    {
        AssertNames(Assert.ThrowsAny<ArgumentException>(() => trainer.Fit(data)), parts);
        SchemaShape shape = SchemaShapes.ShapeOf(data.Schema);
        AssertNames(Assert.ThrowsAny<ArgumentException>(() => trainer.GetOutputSchema(shape)), parts);
    }

    [Fact]
    public void ABooleanLabelIsRejectedNamingTheColumnAndBothTypes()
    {
        IDataView data = Load(new BoolLabelRow { Label = true, Features = [1, 2] });
        AssertBothRejected(data, _mlContext.Regression.Trainers.GradientDescent(), "label column 'Label'", "Boolean", "needs Single");
    }

    [Fact]
    public void ADoubleLabelIsRejectedNamingTheColumnAndBothTypes()
    {
        IDataView data = Load(new DoubleLabelRow { Label = 1, Features = [1, 2] });
        AssertBothRejected(data, _mlContext.Regression.Trainers.GradientDescent(), "label column 'Label'", "Double", "needs Single");
    }

    [Fact]
    public void AVariableSizeFeatureVectorIsRejected()
    {
        IDataView data = Load(new VariableFeaturesRow { Label = 1, Features = [1, 2] });
        AssertBothRejected(data, _mlContext.Regression.Trainers.GradientDescent(), "feature column 'Features'", "variable-size vector of Single", "known-size vector of Single");
    }

    [Fact]
    public void ADoubleFeatureVectorIsRejected()
    {
        IDataView data = Load(new DoubleFeaturesRow { Label = 1, Features = [1, 2] });
        AssertBothRejected(data, _mlContext.Regression.Trainers.GradientDescent(), "feature column 'Features'", "Double", "known-size vector of Single");
    }

    [Fact]
    public void AMissingColumnIsNamed()
    {
        IDataView data = Load(new BoolLabelRow { Label = true, Features = [1, 2] });
        AssertBothRejected(data, _mlContext.Regression.Trainers.GradientDescent(featureColumnName: "Inputs"), "feature column 'Inputs' was not found", "'Features'");
        AssertBothRejected(data, _mlContext.Regression.Trainers.GradientDescent(labelColumnName: "Target"), "label column 'Target' was not found");
    }

    [Fact]
    public void AnIntegerWeightColumnIsRejected()
    {
        IDataView data = Load(new ScalarFeatureRow { Label = 1, Features = 2, Weight = 1 });
        AssertBothRejected(data, _mlContext.Regression.Trainers.GradientDescent(exampleWeightColumnName: "Weight"), "example weight column 'Weight'", "Int32", "needs Single");
    }

    [Fact]
    public void TheOutputSchemaAddsASingleScoreColumn()
    {
        IDataView data = Load(new ScalarFeatureRow { Label = 1, Features = 2, Weight = 1 });
        SchemaShape output = _mlContext.Regression.Trainers.GradientDescent().GetOutputSchema(SchemaShapes.ShapeOf(data.Schema));

        SchemaShape.Column score = Assert.Single(output, c => c.Name == "Score");
        Assert.Equal(NumberDataViewType.Single, score.ItemType);
        Assert.Equal(SchemaShape.Column.VectorKind.Scalar, score.Kind);
        Assert.Equal(data.Schema.Count + 1, output.Count);
    }

    [Fact]
    public void AScalarSingleFeatureTrainsAndScores()
    {
        var rows = Enumerable.Range(0, 40).Select(i => new ScalarFeatureRow { Features = i / 10f, Label = (3 * i / 10f) + 0.8f }).ToArray();
        IDataView data = Load(rows);
        var model = _mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
        {
            BatchSize = GradientDescentRegressionTrainer.Options.FullBatch, NumberOfEpochs = 2000, LearningRate = 0.1f,
        }).Fit(data);

        Assert.Equal(3.0, model.Weights[0], 1e-3);
        Assert.Equal(0.8, model.Bias, 1e-3);
        float[] scores = model.Transform(data).GetColumn<float>("Score").ToArray();
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal((rows[i].Features * model.Weights[0]) + model.Bias, scores[i]);
        }
    }
}
