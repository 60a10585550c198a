using System.Globalization;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Data;

namespace GdTrainer.Samples.Compare;

/// <summary>The <c>compare</c> command's options, read and checked once (every error names the option and the value).</summary>
internal sealed class CompareSettings
{
    /// <summary>The trainers the table can hold, in the order it prints them.</summary>
    internal static readonly string[] AllTrainers = ["sdca", "linear", "mlp", "fasttree"];

    public required string Data { get; init; }

    public required string DataDirectory { get; init; }

    public string? Label { get; init; }

    public PipelineNormalizer Normalizer { get; init; }

    public int Rows { get; init; }

    public int Features { get; init; }

    public int Seed { get; init; }

    public int Repeat { get; init; }

    /// <summary>k-fold cross-validation with this many folds instead of train/test splits (0: splits).</summary>
    public int Folds { get; init; }

    /// <summary>The seeds our trainers run with on every split (null: the split's seed, one run).</summary>
    public IReadOnlyList<int>? ModelSeeds { get; init; }

    public float TestFraction { get; init; }

    public required string PlotPath { get; init; }

    public bool WarmFit { get; init; }

    public required IReadOnlyList<string> Trainers { get; init; }

    // Our linear model.
    public int? LinearEpochs { get; init; }

    public float? LinearLearningRate { get; init; }

    public int LinearBatchSize { get; init; }

    // Our MLP: the documented recipe unless overridden.
    public required int[] Hidden { get; init; }

    public required string Optimizer { get; init; }

    public float MlpLearningRate { get; init; }

    public int MlpEpochs { get; init; }

    public int MlpBatchSize { get; init; }

    public float ValidationFraction { get; init; }

    public int EarlyStoppingPatience { get; init; }

    public float L2 { get; init; }

    public float Dropout { get; init; }

    /// <summary>Reads the options; <see cref="CommandLineOptions.EnsureAllUsed"/> is the caller's.</summary>
    /// <exception cref="CommandLineException">An option's value is out of range.</exception>
    public static CompareSettings Parse(CommandLineOptions options)
    {
        string data = options.GetString("--data", "generated")!;
        bool friedman = string.Equals(data, "friedman", StringComparison.OrdinalIgnoreCase);
        PipelineNormalizer normalizer = (options.GetString("--normalizer", "meanvariance") ?? "meanvariance").ToLowerInvariant() switch
        {
            "none" => PipelineNormalizer.None,
            "fixzero" => PipelineNormalizer.MeanVarianceFixZero,
            "meanvariance" => PipelineNormalizer.MeanVariance,
            string other => throw new CommandLineException($"Option --normalizer must be none, fixzero or meanvariance, but was '{other}'."),
        };
        float? linearRate = options.GetString("--learning-rate", null) is null ? null : options.GetPositiveSingle("--learning-rate", 1f);
        int? linearEpochs = options.GetString("--epochs", null) is null ? null : options.GetInt32("--epochs", 1, minimum: 1);
        var settings = new CompareSettings
        {
            Data = data,
            DataDirectory = options.GetString("--data-dir", Path.Combine("..", "shared", "data"))!,
            Label = options.GetString("--label", null),
            Normalizer = normalizer,
            Rows = options.GetInt32("--rows", friedman ? 25_000 : 100_000, minimum: 10),
            Features = options.GetInt32("--features", 20, minimum: 1),
            Seed = options.GetInt32("--seed", 42),
            Repeat = options.GetInt32("--repeat", 1, minimum: 1, maximum: 100),
            Folds = options.GetInt32("--folds", 0, minimum: 0, maximum: 100),
            ModelSeeds = GetModelSeeds(options),
            TestFraction = options.GetPositiveSingle("--test-fraction", 0.2f),
            PlotPath = options.GetString("--plot", "compare-loss.png")!,
            WarmFit = GetBoolean(options, "--warm-fit", true),
            Trainers = GetTrainers(options),
            LinearEpochs = linearEpochs,
            LinearLearningRate = linearRate,
            LinearBatchSize = options.GetInt32("--batch-size", 256, minimum: 1),
            Hidden = options.GetWidths("--hidden", MlpRecipe.HiddenLayers),
            Optimizer = GetOptimizer(options),
            MlpLearningRate = options.GetPositiveSingle("--mlp-learning-rate", MlpRecipe.LearningRate),
            MlpEpochs = options.GetInt32("--mlp-epochs", MlpRecipe.NumberOfEpochs, minimum: 1),
            MlpBatchSize = options.GetInt32("--mlp-batch-size", MlpRecipe.BatchSize, minimum: 1),
            ValidationFraction = options.GetNonNegativeSingle("--validation-fraction", MlpRecipe.ValidationFraction),
            EarlyStoppingPatience = options.GetInt32("--early-stopping-patience", MlpRecipe.EarlyStoppingPatience, minimum: 1),
            L2 = options.GetNonNegativeSingle("--l2", MlpRecipe.L2Regularization),
            Dropout = options.GetNonNegativeSingle("--dropout", MlpRecipe.Dropout),
        };

        if (settings.Folds == 1)
        {
            throw new CommandLineException("Option --folds must be 0 (train/test splits) or at least 2, but was 1.");
        }

        if (settings.Folds > 0 && settings.Repeat > 1)
        {
            throw new CommandLineException("Options --folds and --repeat exclude each other: --folds K cross-validates once over K folds, --repeat N makes N train/test splits.");
        }

        if (settings.TestFraction >= 1)
        {
            throw new CommandLineException($"Option --test-fraction must be below 1, but was {settings.TestFraction.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (settings.ValidationFraction >= 1)
        {
            throw new CommandLineException($"Option --validation-fraction must be below 1, but was {settings.ValidationFraction.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (settings.Dropout >= 1)
        {
            throw new CommandLineException($"Option --dropout must be a probability below 1, but was {settings.Dropout.ToString(CultureInfo.InvariantCulture)}.");
        }

        return settings;
    }

    private static IReadOnlyList<string> GetTrainers(CommandLineOptions options)
    {
        string text = options.GetString("--trainers", "all")!;
        if (string.Equals(text, "all", StringComparison.OrdinalIgnoreCase))
        {
            return AllTrainers;
        }

        var chosen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string name = part.ToLowerInvariant();
            if (Array.IndexOf(AllTrainers, name) < 0)
            {
                throw new CommandLineException($"Option --trainers must be 'all' or a comma-separated list of {string.Join(", ", AllTrainers)}, but has '{part}'.");
            }

            chosen.Add(name);
        }

        if (chosen.Count == 0)
        {
            throw new CommandLineException($"Option --trainers must name at least one of {string.Join(", ", AllTrainers)}.");
        }

        return [.. AllTrainers.Where(chosen.Contains)];
    }

    private static IReadOnlyList<int>? GetModelSeeds(CommandLineOptions options)
    {
        string? text = options.GetString("--model-seeds", null);
        if (text is null)
        {
            return null;
        }

        var seeds = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            seeds.Add(int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed)
                ? seed
                : throw new CommandLineException($"Option --model-seeds must be a comma-separated list of integers, but has '{part}'."));
        }

        return seeds.Count > 0 ? seeds : throw new CommandLineException("Option --model-seeds must name at least one seed.");
    }

    private static string GetOptimizer(CommandLineOptions options)
    {
        string text = options.GetString("--optimizer", MlpRecipe.Optimizer)!.ToLowerInvariant();
        return text is "adam" or "adamw" or "sgd"
            ? text
            : throw new CommandLineException($"Option --optimizer must be adam, adamw or sgd (momentum 0.9, Nesterov), but was '{text}'.");
    }

    private static bool GetBoolean(CommandLineOptions options, string name, bool defaultValue)
    {
        string? text = options.GetString(name, null);
        return text is null
            ? defaultValue
            : bool.TryParse(text, out bool value) ? value : throw new CommandLineException($"Option {name} must be true or false, but was '{text}'.");
    }
}
