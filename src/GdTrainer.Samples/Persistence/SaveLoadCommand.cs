using System.Globalization;
using GdTrainer.MLNet;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Persistence;

/// <summary>
/// Trains a normalise + GradientDescent pipeline on generated data, saves it, loads it back into a
/// new <see cref="MLContext"/> and prints a few predictions of both side by side.
/// </summary>
public static class SaveLoadCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "save-load";

    /// <summary>The options, for the usage text.</summary>
    public const string Usage = "save-load [--model gdtrainer-model.zip] [--rows 2000] [--features 5] [--seed 1]";

    /// <summary>Runs the command; returns 0 when the loaded model scores exactly like the trained one.</summary>
    public static int Run(CommandLineOptions options, TextWriter output)
    {
        string path = options.GetString("--model", "gdtrainer-model.zip")!;
        int rows = options.GetInt32("--rows", 2000, minimum: 10);
        int features = options.GetInt32("--features", 5, minimum: 1);
        int seed = options.GetInt32("--seed", 1);
        options.EnsureAllUsed();

        var mlContext = new MLContext(seed: seed);
        var generated = SyntheticRegressionData.Generate(rows, features, seed, noiseStandardDeviation: 0.1f);
        IDataView view = generated.ToDataView(mlContext);
        var pipeline = mlContext.Transforms.NormalizeMeanVariance("Features")
            .Append(mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
            {
                NumberOfEpochs = 10,
                Seed = seed,
                MLContext = mlContext,
            }));
        var model = pipeline.Fit(view);
        GradientDescentRegressionTransformer trained = model.LastTransformer;
        output.WriteLine(FormattableString.Invariant($"trained on {rows} rows x {features} features: {trained.Model}"));
        output.WriteLine(FormattableString.Invariant($"final training loss {trained.LossHistory[^1]:G6}"));

        GradientDescentModel.Save(mlContext, model, view.Schema, path);
        output.WriteLine($"saved to {Path.GetFullPath(path)} ({new FileInfo(path).Length} bytes)");

        ITransformer loaded = GradientDescentModel.Load(new MLContext(), path, out _);
        float[] before = model.Transform(view).GetColumn<float>("Score").Take(5).ToArray();
        float[] after = loaded.Transform(view).GetColumn<float>("Score").Take(5).ToArray();
        output.WriteLine("row      label  in-memory     loaded");
        for (int i = 0; i < before.Length; i++)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i,3}  {generated.Rows[i].Label,9:F4}  {before[i],9:F4}  {after[i],9:F4}"));
        }

        bool identical = before.AsSpan().SequenceEqual(after);
        output.WriteLine(identical ? "the loaded model scores exactly like the trained one" : "MISMATCH between the loaded and the trained model");
        return identical ? 0 : 1;
    }
}
