using System.Globalization;
using GdTrainer.MLNet;
using GdTrainer.Samples.Cli;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Classify;

/// <summary>
/// Loads a saved classification model in this process (by either route) and prints, machine-readable, one line per input row:
/// the predicted label (its text, through <c>MapKeyToValue</c> for a multiclass model), then the probabilities (binary: the
/// probability of true; multiclass: one per class), round-trip formatted and separated by commas. The input CSV holds the
/// feature values of one row per line, without a header.
/// </summary>
public static class ClassifyPredictCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "predict-class";

    /// <summary>The options, for the usage text.</summary>
    public const string Usage = "predict-class --model PATH --input CSV [--route typed|plain] [--feature-column Features]";

    /// <summary>Runs the command.</summary>
    /// <exception cref="CommandLineException">An option is missing or invalid.</exception>
    public static int Run(CommandLineOptions options, TextWriter output)
    {
        string path = options.GetString("--model", null) ?? throw new CommandLineException("Command 'predict-class' needs --model PATH.");
        string csv = options.GetString("--input", null) ?? throw new CommandLineException("Command 'predict-class' needs --input CSV.");
        string route = options.GetString("--route", "typed")!;
        string featureColumn = options.GetString("--feature-column", "Features")!;
        options.EnsureAllUsed();

        var mlContext = new MLContext(seed: 0);
        DataViewSchema inputSchema;
        ITransformer model = route switch
        {
            "typed" => GradientDescentModel.Load(mlContext, path, out inputSchema),
            "plain" => mlContext.Model.Load(path, out inputSchema),
            _ => throw new CommandLineException($"--route must be 'typed' or 'plain', not '{route}'."),
        };
        DataViewSchema.Column column = inputSchema.GetColumnOrNull(featureColumn)
            ?? throw new CommandLineException($"The model's input has no column '{featureColumn}'; pass --feature-column.");
        int featureCount = column.Type is VectorDataViewType vector ? vector.Size : 1;
        IDataView data = mlContext.Data.LoadFromTextFile(csv, [new TextLoader.Column(featureColumn, DataKind.Single, 0, featureCount - 1)], separatorChar: ',', hasHeader: false);
        IDataView scored = model.Transform(data);
        if (scored.Schema.GetColumnOrNull("Probability") is not null)
        {
            bool[] labels = [.. scored.GetColumn<bool>("PredictedLabel")];
            float[] probabilities = [.. scored.GetColumn<float>("Probability")];
            for (int i = 0; i < labels.Length; i++)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{labels[i]},{probabilities[i]:R}"));
            }

            return 0;
        }

        IDataView named = mlContext.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel").Fit(scored).Transform(scored);
        DataViewSchema.Column text = named.Schema["PredictedText"];
        string[] texts = text.Type is TextDataViewType
            ? [.. named.GetColumn<string>("PredictedText")]
            : [.. named.GetColumn<float>("PredictedText").Select(v => v.ToString("R", CultureInfo.InvariantCulture))];
        float[][] scores = [.. scored.GetColumn<float[]>("Score")];
        for (int i = 0; i < texts.Length; i++)
        {
            output.WriteLine(texts[i] + "," + string.Join(",", scores[i].Select(p => p.ToString("R", CultureInfo.InvariantCulture))));
        }

        return 0;
    }
}
