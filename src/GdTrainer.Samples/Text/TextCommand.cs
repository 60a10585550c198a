using System.Diagnostics;
using System.Globalization;
using GdTrainer.MLNet;
using GdTrainer.Samples.Cli;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Text;

/// <summary>
/// Issue 18's text benchmark: sparse features from ML.NET's text featurizers, trained by SDCA, L-BFGS, our linear model and our
/// MLP [64] on the same cached features in one process. Each trainer first fits a 500-row sample (so that the timed fit is not
/// the first, JIT-compiling one; <c>--no-warmup</c> leaves it out, for the process peak of a single fit: the sample's fit leaves
/// freed memory in the process that the timed fit then reuses without raising the resident size), then fits the training rows once: the table gives the held-out AUC (macro accuracy for
/// topics), log-loss, the fit's time, its peak memory above the process before it (Linux: VmHWM after resetting it through
/// /proc/self/clear_refs) and the whole process's peak during the fit, and the features' non-zeros per row. Sets: <c>spam</c> (spamassassin-2002.tsv, FeaturizeText
/// defaults), <c>reviews</c> (generated, 30,000-word vocabulary, FeaturizeText defaults), <c>topics</c> (generated, 6 topics,
/// multiclass), <c>hashed</c> (generated reviews, word 1-2-grams hashed into 2^20 slots, L2-normalised).
/// </summary>
public static class TextCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "text";

    /// <summary>The options, for the usage text.</summary>
    public const string Usage = "text [--data-dir ../shared/data] [--set spam|reviews|topics|hashed|all] [--rows N] [--seed 42] [--l2 L] [--hidden 64] [--standardization default|none|center-and-scale] [--skip trainer,...] [--trace] [--no-warmup] [--optimizer sgd|adagrad|adam] [--learning-rate R] [--tolerance T]";

    /// <summary>Runs the command.</summary>
    public static int Run(CommandLineOptions options, TextWriter output)
    {
        string directory = options.GetString("--data-dir", Path.Combine("..", "shared", "data"))!;
        string set = options.GetString("--set", "spam")!;
        int seed = options.GetInt32("--seed", 42);
        int rows = options.GetInt32("--rows", 0, minimum: 0);
        string? l2 = options.GetString("--l2", null);
        int[] hidden = options.GetWidths("--hidden", [64]);
        string[] skip = (options.GetString("--skip", "") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        string standardization = options.GetString("--standardization", "default")!;
        bool trace = options.GetFlag("--trace");
        bool warmUp = !options.GetFlag("--no-warmup");
        string? optimizer = options.GetString("--optimizer", null);
        string? rate = options.GetString("--learning-rate", null);
        string? tolerance = options.GetString("--tolerance", null);
        Action<GradientDescentTrainerOptions> tune = o =>
        {
            o.Optimizer = optimizer switch
            {
                null => o.Optimizer,
                "sgd" => Training.OptimizerSettings.Sgd(),
                "adagrad" => Training.OptimizerSettings.Adagrad(),
                "adam" => Training.OptimizerSettings.Adam(),
                _ => throw new CommandLineException($"--optimizer must be sgd, adagrad or adam, but was '{optimizer}'."),
            };
            o.LearningRate = rate is null ? o.LearningRate : float.Parse(rate, CultureInfo.InvariantCulture);
            o.ConvergenceTolerance = tolerance is null ? o.ConvergenceTolerance : float.Parse(tolerance, CultureInfo.InvariantCulture);
        };
        options.EnsureAllUsed();
        if (set is not ("spam" or "reviews" or "topics" or "hashed" or "all"))
        {
            throw new CommandLineException($"--set must be spam, reviews, topics, hashed or all, but was '{set}'.");
        }

        Training.FeatureStandardization? mode = standardization switch
        {
            "default" => null,
            "none" => Training.FeatureStandardization.None,
            "center-and-scale" => Training.FeatureStandardization.CenterAndScale,
            _ => throw new CommandLineException($"--standardization must be default, none or center-and-scale, but was '{standardization}'."),
        };
        var runner = new Runner(new MLContext(seed: seed), seed, output, l2 is null ? null : float.Parse(l2, CultureInfo.InvariantCulture), hidden, skip, mode, trace, warmUp, tune);
        if (set is "spam" or "all")
        {
            string path = Path.Combine(directory, "spamassassin-2002.tsv");
            if (!File.Exists(path))
            {
                output.WriteLine($"spam: {Path.GetFullPath(path)} is absent; skipped.");
            }
            else
            {
                runner.Spam(path);
            }
        }

        if (set is "reviews" or "all")
        {
            runner.Reviews(rows == 0 ? 60_000 : rows, hashed: false);
        }

        if (set is "topics" or "all")
        {
            runner.Topics(rows == 0 ? 30_000 : rows);
        }

        if (set is "hashed" or "all")
        {
            runner.Reviews(rows == 0 ? 100_000 : rows, hashed: true);
        }

        return 0;
    }

    private sealed class SpamRow
    {
        [LoadColumn(0)]
        public float Label { get; set; }

        [LoadColumn(1)]
        public string Text { get; set; } = "";
    }

    private sealed class Runner(MLContext mlContext, int seed, TextWriter output, float? l2, int[] hidden, string[] skip, Training.FeatureStandardization? standardization, bool trace, bool warmUp, Action<GradientDescentTrainerOptions> tune)
    {
        public void Spam(string path)
        {
            IDataView raw = mlContext.Data.LoadFromTextFile<SpamRow>(path, separatorChar: '\t', hasHeader: true, allowQuoting: false);
            IDataView labelled = mlContext.Transforms.CustomMapping<SpamRow, BoolLabel>((row, result) => result.IsSpam = row.Label > 0.5f, contractName: null).Fit(raw).Transform(raw);
            var split = mlContext.Data.TrainTestSplit(labelled, testFraction: 0.2, seed: seed);
            Binary("spamassassin-2002.tsv, FeaturizeText defaults", "IsSpam", split.TrainSet, split.TestSet, mlContext.Transforms.Text.FeaturizeText("Features", "Text"));
        }

        public void Reviews(int count, bool hashed)
        {
            IDataView train = mlContext.Data.LoadFromEnumerable(GeneratedCorpus.Reviews(count, 30_000, seed));
            IDataView test = mlContext.Data.LoadFromEnumerable(GeneratedCorpus.Reviews(Math.Max(count / 5, 1000), 30_000, seed + 1));
            IEstimator<ITransformer> featurizer = hashed
                ? mlContext.Transforms.Text.ProduceHashedWordBags("Features", "Text", numberOfBits: 20, ngramLength: 2).Append(mlContext.Transforms.NormalizeLpNorm("Features"))
                : mlContext.Transforms.Text.FeaturizeText("Features", "Text");
            string title = hashed
                ? $"{count:N0} generated reviews, word 1-2-grams hashed into 2^20 slots, L2-normalised"
                : $"{count:N0} generated reviews (30,000-word vocabulary), FeaturizeText defaults";
            Binary(title, "Label", train, test, featurizer);
        }

        public void Topics(int count)
        {
            IDataView train = mlContext.Data.LoadFromEnumerable(GeneratedCorpus.Topics(count, 30_000, seed));
            IDataView test = mlContext.Data.LoadFromEnumerable(GeneratedCorpus.Topics(Math.Max(count / 5, 1000), 30_000, seed + 1));
            IEstimator<ITransformer> featurizer = mlContext.Transforms.Conversion.MapValueToKey("Label", "Topic").Append(mlContext.Transforms.Text.FeaturizeText("Features", "Text"));
            (IDataView trainFeatures, IDataView testFeatures, int slots, double perRow) = Featurize(featurizer, train, test);
            output.WriteLine($"{count:N0} generated documents of 6 topics, FeaturizeText defaults: {slots:N0} slots, {perRow:F0} non-zeros per row");
            output.WriteLine("trainer                  macro acc   log-loss    fit s   peak MB   process MB");
            Row("SdcaMaximumEntropy", () => mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy(), trainFeatures, testFeatures, Multiclass);
            Row("LbfgsMaximumEntropy", () => mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy(), trainFeatures, testFeatures, Multiclass);
            Row("GradientDescent linear", () => mlContext.MulticlassClassification.Trainers.GradientDescent(Ours<GradientDescentMulticlassTrainer.Options>([])), trainFeatures, testFeatures, Multiclass);
            Row($"GradientDescent [{string.Join(",", hidden)}]", () => mlContext.MulticlassClassification.Trainers.GradientDescent(Ours<GradientDescentMulticlassTrainer.Options>(hidden)), trainFeatures, testFeatures, Multiclass);
            output.WriteLine();
        }

        private void Binary(string title, string label, IDataView train, IDataView test, IEstimator<ITransformer> featurizer)
        {
            IEstimator<ITransformer> withLabel = label == "Label" ? featurizer : featurizer.Append(mlContext.Transforms.CopyColumns("Label", label));
            (IDataView trainFeatures, IDataView testFeatures, int slots, double perRow) = Featurize(withLabel, train, test);
            output.WriteLine($"{title}: {slots:N0} slots, {perRow:F0} non-zeros per row");
            output.WriteLine("trainer                  AUC         log-loss    fit s   peak MB   process MB");
            Row("SdcaLogisticRegression", () => mlContext.BinaryClassification.Trainers.SdcaLogisticRegression(), trainFeatures, testFeatures, BinaryMetrics);
            Row("LbfgsLogisticRegression", () => mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression(), trainFeatures, testFeatures, BinaryMetrics);
            Row("GradientDescent linear", () => mlContext.BinaryClassification.Trainers.GradientDescent(Ours<GradientDescentBinaryTrainer.Options>([])), trainFeatures, testFeatures, BinaryMetrics);
            Row($"GradientDescent [{string.Join(",", hidden)}]", () => mlContext.BinaryClassification.Trainers.GradientDescent(Ours<GradientDescentBinaryTrainer.Options>(hidden)), trainFeatures, testFeatures, BinaryMetrics);
            output.WriteLine();
        }

        private TOptions Ours<TOptions>(int[] layers)
            where TOptions : GradientDescentTrainerOptions, new()
        {
            var options = new TOptions { HiddenLayers = layers, MLContext = mlContext, Seed = seed };
            if (l2 is { } value)
            {
                options.L2Regularization = value;
            }

            if (standardization is { } mode)
            {
                options.FeatureStandardization = mode;
            }

            if (trace)
            {
                options.Progress = new TraceProgress(output);
            }

            tune(options);

            return options;
        }

        /// <summary>Fits the featurizer on the training rows, caches both sets' features and counts the non-zeros per row.</summary>
        private (IDataView Train, IDataView Test, int Slots, double PerRow) Featurize(IEstimator<ITransformer> featurizer, IDataView train, IDataView test)
        {
            ITransformer fitted = featurizer.Fit(train);
            IDataView trainFeatures = mlContext.Data.Cache(fitted.Transform(train));
            IDataView testFeatures = mlContext.Data.Cache(fitted.Transform(test));
            long nonZeros = 0, count = 0;
            using (DataViewRowCursor cursor = trainFeatures.GetRowCursor(trainFeatures.Schema.Where(c => c.Name is "Features" or "Label")))
            {
                ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(trainFeatures.Schema["Features"]);
                VBuffer<float> vector = default;
                while (cursor.MoveNext())
                {
                    getter(ref vector);
                    nonZeros += vector.GetValues().Length;
                    count++;
                }
            }

            _ = testFeatures.Preview(1);
            using (DataViewRowCursor cursor = testFeatures.GetRowCursor(testFeatures.Schema))
            {
                while (cursor.MoveNext())
                {
                }
            }

            int slots = ((VectorDataViewType)trainFeatures.Schema["Features"].Type).Size;
            return (trainFeatures, testFeatures, slots, (double)nonZeros / Math.Max(count, 1));
        }

        private void Row<TTransformer>(string name, Func<IEstimator<TTransformer>> create, IDataView train, IDataView test, Func<IDataView, (double Quality, double LogLoss)> evaluate)
            where TTransformer : ITransformer
        {
            if (skip.Any(s => name.StartsWith(s, StringComparison.OrdinalIgnoreCase)))
            {
                return;
            }

            if (warmUp)
            {
                create().Fit(mlContext.Data.TakeRows(mlContext.Data.ShuffleRows(train, seed), 500)); // JIT and first-use costs, outside the timed fit.
            }

            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            long before = PeakMemory.ResetAndReadResident();
            var watch = Stopwatch.StartNew();
            TTransformer model = create().Fit(train);
            double seconds = watch.Elapsed.TotalSeconds;
            long peak = PeakMemory.ReadPeak();
            (double quality, double logLoss) = evaluate(model.Transform(test));
            string memory = peak > 0 && before > 0 ? $"{(peak - before) / 1048576.0,7:F0}   {peak / 1048576.0,10:F0}" : "      -            -";
            string epochs = model switch
            {
                GradientDescentBinaryTransformer binary => $"   {binary.Model.EpochsRun} epochs ({binary.Model.StopReason})",
                GradientDescentMulticlassTransformer multiclass => $"   {multiclass.Model.EpochsRun} epochs ({multiclass.Model.StopReason})",
                _ => "",
            };
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-24} {quality,-11:F4} {logLoss,-11:F4} {seconds,5:F2}   {memory}{epochs}"));
        }

        private (double, double) BinaryMetrics(IDataView scored)
        {
            CalibratedBinaryClassificationMetrics metrics = mlContext.BinaryClassification.Evaluate(scored);
            return (metrics.AreaUnderRocCurve, metrics.LogLoss);
        }

        private (double, double) Multiclass(IDataView scored)
        {
            MulticlassClassificationMetrics metrics = mlContext.MulticlassClassification.Evaluate(scored);
            return (metrics.MacroAccuracy, metrics.LogLoss);
        }
    }

    private sealed class BoolLabel
    {
        public bool IsSpam { get; set; }
    }

    /// <summary>Prints every epoch of our trainers (--trace).</summary>
    private sealed class TraceProgress(TextWriter output) : IProgress<Training.EpochReport>
    {
        public void Report(Training.EpochReport value) =>
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    epoch {value.Epoch}: loss {value.TrainingLoss:G6}, validation {value.ValidationLoss:G6}, rate {value.LearningRate:G4}, batch {value.BatchSize}, {value.Elapsed.TotalMilliseconds:F0} ms"));
    }
}
