// The package smoke test (run by .ci/package-test against the packed GdTrainer package), and the README's "Install" example.
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

if (Math.Abs(predicted - 3.5f) > 0.05f)
{
    Console.Error.WriteLine("FAIL: the packaged trainer did not learn y = 2 x1 - x2 + 1.");
    return 1;
}

return 0;

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
