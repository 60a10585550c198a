namespace GdTrainer.Samples.Commands;

using System.Globalization;
using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// <c>save-load --model PATH [--rows N] [--seed S]</c>: trains a normalise + GradientDescent pipeline on
/// generated data, saves it to PATH, loads it back into a new MLContext and prints a few predictions of
/// both models side by side.
/// </summary>
internal static class SaveLoadCommand
{
    internal static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        var options = new CommandLine(args);
        string path = options.Require("model");
        int rows = options.GetInt("rows", 2000);
        int seed = options.GetInt("seed", 1);

        var mlContext = new MLContext(seed: seed);
        SampleData.Row[] data = SampleData.Generate(rows, seed);
        IDataView view = SampleData.ToDataView(mlContext, data);
        var pipeline = mlContext.Transforms.NormalizeMeanVariance("Features")
            .Append(mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
            {
                NumberOfEpochs = 10,
                Seed = seed,
                MLContext = mlContext,
            }));
        var model = pipeline.Fit(view);
        GradientDescentRegressionTransformer trained = model.LastTransformer;
        output.WriteLine(FormattableString.Invariant($"trained on {rows} rows x {SampleData.FeatureCount} features: {trained.Model}"));
        output.WriteLine(FormattableString.Invariant($"final training loss {trained.LossHistory[^1]:G6}"));

        GradientDescentModel.Save(mlContext, model, view.Schema, path);
        output.WriteLine($"saved to {Path.GetFullPath(path)} ({new FileInfo(path).Length} bytes)");

        ITransformer loaded = GradientDescentModel.Load(new MLContext(), path, out _);
        float[] before = model.Transform(view).GetColumn<float>("Score").Take(5).ToArray();
        float[] after = loaded.Transform(view).GetColumn<float>("Score").Take(5).ToArray();
        output.WriteLine("row  label      in-memory  loaded");
        for (int i = 0; i < before.Length; i++)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i,3}  {data[i].Label,9:F4}  {before[i],9:F4}  {after[i],9:F4}"));
        }

        return before.SequenceEqual(after) ? 0 : 1;
    }
}
