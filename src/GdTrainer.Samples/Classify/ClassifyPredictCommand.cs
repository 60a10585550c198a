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
/// feature values of one row per line, without a header. With <c>--labelled</c> (multiclass models whose labels are text) each
/// line starts with the row's label, and a last line <c>metrics,&lt;Score size (0: unknown)&gt;,&lt;micro accuracy&gt;,&lt;macro accuracy&gt;,&lt;log-loss&gt;</c>
/// gives what <c>MulticlassClassification.Evaluate</c> reports for the scored rows.
/// </summary>
public static class ClassifyPredictCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "predict-class";

    /// <summary>The options, for the usage text.</summary>
    public const string Usage = "predict-class --model PATH --input CSV [--route typed|plain] [--feature-column Features] [--labelled]";

    /// <summary>Runs the command.</summary>
    /// <exception cref="CommandLineException">An option is missing or invalid.</exception>
    public static int Run(CommandLineOptions options, TextWriter output)
    {
        string path = options.GetString("--model", null) ?? throw new CommandLineException("Command 'predict-class' needs --model PATH.");
        string csv = options.GetString("--input", null) ?? throw new CommandLineException("Command 'predict-class' needs --input CSV.");
        string route = options.GetString("--route", "typed")!;
        string featureColumn = options.GetString("--feature-column", "Features")!;
        bool labelled = options.GetFlag("--labelled");
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
        int first = labelled ? 1 : 0;
        TextLoader.Column features = new(featureColumn, DataKind.Single, first, first + featureCount - 1);
        IDataView data = mlContext.Data.LoadFromTextFile(csv, labelled ? [new TextLoader.Column(LabelText, DataKind.String, 0), features] : [features], separatorChar: ',', hasHeader: false);
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

        if (labelled)
        {
            output.WriteLine(Evaluate(mlContext, scored));
        }

        return 0;
    }

    private const string LabelText = "LabelText";

    /// <summary>
    /// Evaluates the scored rows against their text labels, mapped to keys in the order of <c>PredictedLabel</c>'s key values (those
    /// of the model's label), and formats the metrics line.
    /// </summary>
    /// <exception cref="CommandLineException">The model's key values are not text.</exception>
    private static string Evaluate(MLContext mlContext, IDataView scored)
    {
        if (scored.Schema["PredictedLabel"].Annotations.Schema.GetColumnOrNull("KeyValues")?.Type is not VectorDataViewType { ItemType: TextDataViewType })
        {
            throw new CommandLineException("--labelled needs a multiclass model whose label's key values are text.");
        }

        VBuffer<ReadOnlyMemory<char>> keys = default;
        scored.Schema["PredictedLabel"].GetKeyValues(ref keys);
        IDataView keyData = mlContext.Data.LoadFromEnumerable(keys.DenseValues().Select(k => new KeyRow { Key = k.ToString() }));
        IDataView keyed = mlContext.Transforms.Conversion.MapValueToKey("EvaluatedLabel", LabelText, keyData: keyData).Fit(scored).Transform(scored);
        MulticlassClassificationMetrics metrics = mlContext.MulticlassClassification.Evaluate(keyed, labelColumnName: "EvaluatedLabel");
        return string.Create(CultureInfo.InvariantCulture, $"metrics,{(scored.Schema["Score"].Type as VectorDataViewType)?.Size},{metrics.MicroAccuracy:R},{metrics.MacroAccuracy:R},{metrics.LogLoss:R}");
    }

    private sealed class KeyRow
    {
        public string Key = "";
    }
}
