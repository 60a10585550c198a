// The package smoke test (run by .ci/package-test against the packed GdTrainer package). The part between the README markers
// is the README's "Install" example, verbatim (a test checks it); the rest checks its result and trains a binary MLP classifier.
// README: begin install
using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

var mlContext = new MLContext(seed: 0);

// y = 2 x1 - x2 + 1 on 200 points.
var random = new Random(1);
var rows = Enumerable.Range(0, 200).Select(_ =>
{
    float x1 = (float)random.NextDouble() * 4 - 2, x2 = (float)random.NextDouble() * 4 - 2;
    return new House { Size = x1, Age = x2, Price = 2 * x1 - x2 + 1 };
}).ToList();
IDataView data = mlContext.Data.LoadFromEnumerable(rows);

// Fit: featurize with ML.NET, train with GdTrainer.
var pipeline = mlContext.Transforms.Concatenate("Features", nameof(House.Size), nameof(House.Age))
    .Append(mlContext.Regression.Trainers.GradientDescent(labelColumnName: nameof(House.Price)));
ITransformer model = pipeline.Fit(data);

// Save, then Load (GradientDescentModel.Load restores GdTrainer's own transformer; mlContext.Model.Load works too).
string path = Path.Combine(Path.GetTempPath(), $"house-model-{Guid.NewGuid():N}.zip");
mlContext.Model.Save(model, data.Schema, path);
ITransformer loaded = GradientDescentModel.Load(mlContext, path, out _);
File.Delete(path);

// Predict.
var engine = mlContext.Model.CreatePredictionEngine<House, PricePrediction>(loaded);
float predicted = engine.Predict(new House { Size = 1.5f, Age = 0.5f }).Score;
Console.WriteLine($"Predicted price: {predicted:F3} (true: 3.5)");
// README: end install

if (Math.Abs(predicted - 3.5f) > 0.05f)
{
    Console.Error.WriteLine("FAIL: the packaged trainer did not learn y = 2 x1 - x2 + 1.");
    return 1;
}

// A binary MLP classifier on a disc: a point of [-2, 2]^2 is inside when x^2 + y^2 < 8 / pi, half the square's area, so
// predicting one class is right half the time and no straight line does much better. Saved with GradientDescentModel.Save and
// loaded with plain mlContext.Model.Load: the built-in chain then finds GdTrainer's scoring factories in the package's assembly.
IDataView points = mlContext.Data.LoadFromEnumerable(DiscPoints(1_000, seed: 2));
IDataView heldOut = mlContext.Data.LoadFromEnumerable(DiscPoints(1_000, seed: 3));
var classifier = mlContext.Transforms.Concatenate("Features", nameof(DiscPoint.X), nameof(DiscPoint.Y))
    .Append(mlContext.BinaryClassification.Trainers.GradientDescent(new GradientDescentBinaryTrainer.Options
    {
        LabelColumnName = nameof(DiscPoint.Inside),
        HiddenLayers = [16, 16],
        Activation = GdTrainer.Models.Activation.Tanh,
        LearningRate = 0.01f,
        BatchSize = 32,
        NumberOfEpochs = 100,
        Seed = 4,
    }));
ITransformer classifierModel = classifier.Fit(points);

string classifierPath = Path.Combine(Path.GetTempPath(), $"disc-model-{Guid.NewGuid():N}.zip");
GradientDescentModel.Save(mlContext, classifierModel, points.Schema, classifierPath);
ITransformer classifierLoaded = mlContext.Model.Load(classifierPath, out _);
File.Delete(classifierPath);

float[] inMemory = [.. classifierModel.Transform(heldOut).GetColumn<float>("Probability")];
float[] afterLoad = [.. classifierLoaded.Transform(heldOut).GetColumn<float>("Probability")];
bool[] labels = [.. heldOut.GetColumn<bool>(nameof(DiscPoint.Inside))];
bool[] predictedLabels = [.. classifierLoaded.Transform(heldOut).GetColumn<bool>("PredictedLabel")];
double accuracy = labels.Zip(predictedLabels).Count(pair => pair.First == pair.Second) / (double)labels.Length;
double largestDifference = inMemory.Zip(afterLoad).Max(pair => Math.Abs(pair.First - pair.Second));
Console.WriteLine($"Disc classifier: held-out accuracy {accuracy:F3}, largest probability difference after load {largestDifference:G3}");

if (accuracy < 0.9)
{
    Console.Error.WriteLine($"FAIL: the packaged MLP classifier reached a held-out accuracy of {accuracy:F3}, below 0.9 (one class alone: ~0.5).");
    return 1;
}

if (largestDifference > 1e-6)
{
    Console.Error.WriteLine($"FAIL: the plain-loaded classifier's probabilities differ from the trained model's by {largestDifference:G3}.");
    return 1;
}

return 0;

static List<DiscPoint> DiscPoints(int count, int seed)
{
    var generator = new Random(seed);
    return [.. Enumerable.Range(0, count).Select(_ =>
    {
        float x = (float)((generator.NextDouble() * 4) - 2), y = (float)((generator.NextDouble() * 4) - 2);
        return new DiscPoint { X = x, Y = y, Inside = (x * x) + (y * y) < 8 / MathF.PI };
    })];
}

// README: begin install types
public sealed class House
{
    public float Size { get; set; }
    public float Age { get; set; }
    public float Price { get; set; }
}

public sealed class PricePrediction
{
    [ColumnName("Score")]
    public float Score { get; set; }
}
// README: end install types

public sealed class DiscPoint
{
    public float X { get; set; }

    public float Y { get; set; }

    public bool Inside { get; set; }
}
