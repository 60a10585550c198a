using System.Globalization;
using GdTrainer.MLNet;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Persistence;

/// <summary>
/// Loads a saved model in this process and prints one score per input row, machine-readable: a
/// <c>score</c> header, then one round-trip float per line. The input CSV holds one row per line with
/// the feature values separated by commas and no header; without one, rows are generated from a seed.
/// <c>--loader mlnet</c> loads with plain <c>mlContext.Model.Load</c> (after registering GdTrainer's assembly, as a user of
/// ML.NET's public API would) instead of <see cref="GradientDescentModel.Load"/>, to check that route across processes.
/// </summary>
public static class PredictCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "predict";

    /// <summary>The options, for the usage text.</summary>
    public const string Usage = "predict --model PATH [--input CSV | --rows 10 --seed 2] [--feature-column Features] [--loader gdtrainer|mlnet]";

    /// <summary>Runs the command.</summary>
    /// <exception cref="CommandLineException">The model path is missing, or the model has no such feature column.</exception>
    public static int Run(CommandLineOptions options, TextWriter output)
    {
        string path = options.GetString("--model", null) ?? throw new CommandLineException("Command 'predict' needs --model PATH.");
        string featureColumn = options.GetString("--feature-column", "Features")!;
        string? csv = options.GetString("--input", null);
        int rows = options.GetInt32("--rows", 10, minimum: 1);
        int seed = options.GetInt32("--seed", 2);
        string loader = options.GetString("--loader", "gdtrainer")!;
        options.EnsureAllUsed();

        var mlContext = new MLContext(seed: 0);
        DataViewSchema inputSchema;
        ITransformer model;
        switch (loader)
        {
            case "gdtrainer":
                model = GradientDescentModel.Load(mlContext, path, out inputSchema);
                break;
            case "mlnet":
                mlContext.ComponentCatalog.RegisterAssembly(typeof(GradientDescentModel).Assembly);
                model = mlContext.Model.Load(path, out inputSchema);
                break;
            default:
                throw new CommandLineException($"--loader must be 'gdtrainer' (GradientDescentModel.Load) or 'mlnet' (mlContext.Model.Load), not '{loader}'.");
        }

        DataViewSchema.Column column = inputSchema.GetColumnOrNull(featureColumn)
            ?? throw new CommandLineException($"The model's input has no column '{featureColumn}'; pass --feature-column.");
        int featureCount = column.Type is VectorDataViewType vector ? vector.Size : 1;

        IDataView data = csv is not null
            ? mlContext.Data.LoadFromTextFile(csv, [new TextLoader.Column(featureColumn, DataKind.Single, 0, featureCount - 1)], separatorChar: ',', hasHeader: false)
            : featureColumn == "Features"
                ? SyntheticRegressionData.Generate(rows, featureCount, seed).ToDataView(mlContext)
                : throw new CommandLineException($"Generated rows fill a 'Features' column; this model reads '{featureColumn}'. Pass --input CSV.");

        output.WriteLine("score");
        foreach (float score in model.Transform(data).GetColumn<float>("Score"))
        {
            output.WriteLine(score.ToString("R", CultureInfo.InvariantCulture));
        }

        return 0;
    }
}
