using System.Globalization;
using GdTrainer.MLNet;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Persistence;

/// <summary>
/// Trains GradientDescent with its default options on generated raw features of very different scales (it
/// standardises them itself), prints the learned model next to the one the data was made with, saves it
/// (by default to <see cref="DefaultModelPath"/>, in the temporary directory, so that nothing is left in the
/// working directory), loads it back into a new <see cref="MLContext"/> and prints a few predictions of both side by side.
/// </summary>
public static class SaveLoadCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "save-load";

    /// <summary>The options, for the usage text.</summary>
    public const string Usage = "save-load [--model PATH (default: gdtrainer-model.zip in the temp directory)] [--rows 2000] [--features 5] [--seed 1]";

    /// <summary>Where the model is saved without <c>--model</c>: <c>gdtrainer-model.zip</c> in <see cref="Path.GetTempPath"/>.</summary>
    public static string DefaultModelPath => Path.Combine(Path.GetTempPath(), "gdtrainer-model.zip");

    /// <summary>Runs the command; returns 0 when the loaded model scores exactly like the trained one.</summary>
    public static int Run(CommandLineOptions options, TextWriter output)
    {
        string path = options.GetString("--model", DefaultModelPath)!;
        int rows = options.GetInt32("--rows", 2000, minimum: 10);
        int features = options.GetInt32("--features", 5, minimum: 1);
        int seed = options.GetInt32("--seed", 1);
        options.EnsureAllUsed();

        var mlContext = new MLContext(seed: seed);
        var generated = SyntheticRegressionData.Generate(rows, features, seed, noiseStandardDeviation: 0.1f);
        IDataView view = generated.ToDataView(mlContext);
        // The default options: the trainer standardises the raw features itself, derives the learning rate, and stops when it converges.
        var trainer = mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options { Seed = seed, MLContext = mlContext });
        GradientDescentRegressionTransformer model = trainer.Fit(view);
        var truth = new GradientDescentModelParameters(generated.TrueWeights.ToArray(), generated.TrueBias, []);
        output.WriteLine(FormattableString.Invariant($"trained on {rows} rows x {features} raw features (scales from 0.1 to 100)"));
        output.WriteLine(FormattableString.Invariant($"learned: {model.Model}"));
        output.WriteLine(FormattableString.Invariant($"true:    {truth} + noise (sd {generated.NoiseStandardDeviation:G3})"));
        float noiseVariance = generated.NoiseStandardDeviation * generated.NoiseStandardDeviation;
        output.WriteLine(FormattableString.Invariant(
            $"{model.Model.StopReason} after {model.Model.EpochsRun} epochs; final training loss {model.LossHistory[^1]:G6} (the noise alone gives about {noiseVariance:G3})"));

        GradientDescentModel.Save(mlContext, model, view.Schema, path);
        output.WriteLine($"saved to {Path.GetFullPath(path)} ({new FileInfo(path).Length} bytes); score it with: predict --model {Path.GetFullPath(path)}");

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
