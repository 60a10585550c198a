namespace GdTrainer.Samples.Commands;

using System.Globalization;
using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// <c>predict --model PATH (--input CSV | --rows N --seed S) [--feature-column NAME]</c>: loads a saved model in this process and
/// prints one score per input row, machine-readable: a <c>score</c> header, then one round-trip float per line.
/// The CSV holds one row per line with the feature values separated by commas, no header.
/// </summary>
internal static class PredictCommand
{
    internal static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        var options = new CommandLine(args);
        string path = options.Require("model");
        string featureColumn = options.Get("feature-column") ?? "Features";

        var mlContext = new MLContext(seed: 0);
        ITransformer model = GradientDescentModel.Load(mlContext, path, out DataViewSchema inputSchema);
        DataViewSchema.Column column = inputSchema.GetColumnOrNull(featureColumn)
            ?? throw new ArgumentException($"The model's input has no column '{featureColumn}'; pass --feature-column.");
        int featureCount = column.Type is VectorDataViewType vector ? vector.Size : 1;

        IDataView data;
        if (options.Get("input") is { } csv)
        {
            var loaderColumns = new[] { new TextLoader.Column(featureColumn, DataKind.Single, 0, featureCount - 1) };
            data = mlContext.Data.LoadFromTextFile(csv, loaderColumns, separatorChar: ',', hasHeader: false);
        }
        else
        {
            if (featureCount != SampleData.FeatureCount || featureColumn != "Features")
            {
                throw new ArgumentException($"Generated rows have {SampleData.FeatureCount} features in 'Features'; this model needs {featureCount} in '{featureColumn}'. Pass --input CSV.");
            }

            data = SampleData.ToDataView(mlContext, SampleData.Generate(options.GetInt("rows", 10), options.GetInt("seed", 2)));
        }

        output.WriteLine("score");
        foreach (float score in model.Transform(data).GetColumn<float>("Score"))
        {
            output.WriteLine(score.ToString("R", CultureInfo.InvariantCulture));
        }

        return 0;
    }
}
