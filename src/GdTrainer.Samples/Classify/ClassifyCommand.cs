using System.Diagnostics;
using System.Globalization;
using GdTrainer.MLNet;
using GdTrainer.Samples.Cli;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Classify;

/// <summary>
/// Issue 10's classification benchmark on the real data sets in <c>../shared/data</c>: every trainer sees the same split and the
/// same preprocessed (cached) features; Fit is timed warm (best of <c>--repeats</c> after one untimed fit); the epochs our
/// trainers ran are reported, and beside the log-loss the expected calibration error (<see cref="CalibrationError"/>). For the
/// small sets (breast-cancer, iris, MNIST tiny, the Wikipedia detox text set) every trainer is also cross-validated on the same
/// <c>--folds</c> folds (issue 19), with the mean and the worst fold, so that one lucky split cannot decide a default.
/// Data sets: adult (binary, one-hot + mean-variance), breast-cancer (binary), iris (multiclass), MNIST tiny (multiclass, sparse
/// 784 features), wikipedia-detox (binary, text through <c>FeaturizeText</c>, read densely).
/// </summary>
public static class ClassifyCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "classify";

    /// <summary>The options, for the usage text.</summary>
    public const string Usage = "classify [--data-dir ../shared/data] [--set all|adult|breast-cancer|iris|mnist|detox] [--seed 42] [--repeats 3] [--folds 5 (0: no cross-validation)] [--no-lightgbm] [--linear-only] [--tolerance T] [--optimizer sgd|adam] [--learning-rate R] [--batch-size 256] [--l2 L (default: the trainer's rule)] [--threads N (NumberOfThreads of our trainers; default every core)]";

    private static GradientDescentBinaryTrainer.Options s_linear = new();
    private static bool s_linearOnly;
    private static int s_folds;
    private static int? s_threads;

    /// <summary>Runs the command.</summary>
    public static int Run(CommandLineOptions options, TextWriter output)
    {
        string directory = options.GetString("--data-dir", Path.Combine("..", "shared", "data"))!;
        string set = options.GetString("--set", "all")!;
        int seed = options.GetInt32("--seed", 42);
        int repeats = options.GetInt32("--repeats", 3, minimum: 1);
        s_folds = options.GetInt32("--folds", 5, minimum: 0);
        if (s_folds == 1)
        {
            throw new CommandLineException("Option --folds must be 0 (no cross-validation) or at least 2, but was 1.");
        }
        bool lightGbm = !options.GetFlag("--no-lightgbm");
        s_linearOnly = options.GetFlag("--linear-only");
        string? tolerance = options.GetString("--tolerance", null);
        string? optimizer = options.GetString("--optimizer", null);
        string? rate = options.GetString("--learning-rate", null);
        int batch = options.GetInt32("--batch-size", 256, minimum: 1);
        string? l2 = options.GetString("--l2", null);
        s_threads = options.GetFlag("--threads") ? options.GetInt32("--threads", 0, minimum: 1) : null;
        options.EnsureAllUsed();
        s_linear = new GradientDescentBinaryTrainer.Options
        {
            ConvergenceTolerance = tolerance is null ? null : float.Parse(tolerance, CultureInfo.InvariantCulture),
            Optimizer = optimizer == "adam" ? Training.OptimizerSettings.Adam() : null,
            LearningRate = rate is null ? null : float.Parse(rate, CultureInfo.InvariantCulture),
            BatchSize = batch,
            L2Regularization = l2 is null ? null : float.Parse(l2, CultureInfo.InvariantCulture),
            NumberOfThreads = s_threads,
        };
        if (!Directory.Exists(directory))
        {
            throw new CommandLineException($"The data directory '{Path.GetFullPath(directory)}' does not exist; pass --data-dir.");
        }

        var runner = new Runner(new MLContext(seed: seed), seed, repeats, output);
        if (set is "all" or "adult")
        {
            runner.Adult(Path.Combine(directory, "adult.txt"), lightGbm);
        }

        if (set is "all" or "breast-cancer")
        {
            runner.BreastCancer(Path.Combine(directory, "breast-cancer.txt"));
        }

        if (set is "all" or "iris")
        {
            runner.Iris(Path.Combine(directory, "iris.txt"));
        }

        if (set is "all" or "mnist")
        {
            runner.Mnist(Path.Combine(directory, "Train-Tiny-28x28.txt"), Path.Combine(directory, "MNIST.Test.tiny.txt"));
        }

        if (set is "all" or "detox")
        {
            runner.Detox(Path.Combine(directory, "wikipedia-detox-250-line-data.tsv"));
        }

        return 0;
    }

    /// <summary>
    /// Reads <c>iris.txt</c> (TAB-separated: the label 0/1/2 as <c>Label</c> (Single), then the four measurements as the 4-slot
    /// <c>Features</c> vector). The file's header line starts with <c>#</c>, which ML.NET's <see cref="TextLoader"/> skips as a
    /// comment, so it is read with <c>hasHeader: false</c>: with <c>hasHeader: true</c> the loader would also drop the first
    /// data row (149 of the 150 rows, which changed the seed-42 split).
    /// </summary>
    /// <param name="mlContext">The context whose data catalog reads the file.</param>
    /// <param name="path">The path of <c>iris.txt</c> (or a file in its format).</param>
    /// <returns>The lazily read rows, all of them.</returns>
    public static IDataView LoadIris(MLContext mlContext, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return mlContext.Data.LoadFromTextFile(path,
            [new TextLoader.Column("Label", DataKind.Single, 0), new TextLoader.Column("Features", DataKind.Single, 1, 4)],
            separatorChar: '\t', hasHeader: false);
    }

    private sealed class Runner(MLContext mlContext, int seed, int repeats, TextWriter output)
    {
        private static readonly string[] s_adultCategorical = ["workclass", "education", "marital-status", "occupation", "relationship", "ethnicity", "sex", "native-country"];
        private static readonly string[] s_adultNumeric = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"];

        internal void Adult(string path, bool lightGbm)
        {
            var columns = new List<TextLoader.Column>();
            string[] names = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation", "relationship", "ethnicity", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country"];
            for (int i = 0; i < names.Length; i++)
            {
                columns.Add(new TextLoader.Column(names[i], s_adultCategorical.Contains(names[i]) ? DataKind.String : DataKind.Single, i));
            }

            columns.Add(new TextLoader.Column("Label", DataKind.Boolean, 14));
            IDataView raw = mlContext.Data.LoadFromTextFile(RequireFile(path), [.. columns], separatorChar: ',', hasHeader: true, trimWhitespace: true);
            DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(raw, 0.2, seed: seed);
            IEstimator<ITransformer> features = mlContext.Transforms.Categorical.OneHotEncoding([.. s_adultCategorical.Select(c => new InputOutputColumnPair(c))])
                .Append(mlContext.Transforms.Concatenate("Numeric", s_adultNumeric))
                .Append(mlContext.Transforms.NormalizeMeanVariance("Numeric"))
                .Append(mlContext.Transforms.Concatenate("Features", ["Numeric", .. s_adultCategorical]));
            (IDataView train, IDataView test) = Prepare(features, split.TrainSet, split.TestSet);
            output.WriteLine($"adult.txt: {Rows(train)} training rows, {Rows(test)} test rows, {FeatureCount(train)} features (80/20 split, seed {seed})");
            BinaryHeader();
            Binary("GradientDescent linear", () => mlContext.BinaryClassification.Trainers.GradientDescent(s_linear), train, test);
            Binary("GradientDescent MLP [32]", () => mlContext.BinaryClassification.Trainers.GradientDescent(new GradientDescentBinaryTrainer.Options { NumberOfThreads = s_threads, HiddenLayers = [32], NumberOfEpochs = 30, ValidationFraction = 0.1f, EarlyStopping = new Training.EarlyStopping { Patience = 3 } }), train, test);
            Binary("LbfgsLogisticRegression", () => mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression(), train, test);
            Binary("SdcaLogisticRegression", () => mlContext.BinaryClassification.Trainers.SdcaLogisticRegression(), train, test);
            if (lightGbm)
            {
                Binary("LightGbm", () => mlContext.BinaryClassification.Trainers.LightGbm(), train, test);
            }

            output.WriteLine();
        }

        internal void BreastCancer(string path)
        {
            IDataView raw = mlContext.Data.Cache(mlContext.Data.LoadFromTextFile(RequireFile(path),
                [new TextLoader.Column("Label", DataKind.Boolean, 0), new TextLoader.Column("Features", DataKind.Single, 1, 9)],
                separatorChar: '\t', hasHeader: false, allowQuoting: false));
            IEstimator<ITransformer> features = mlContext.Transforms.ReplaceMissingValues("Features");
            DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(raw, 0.2, seed: seed);
            (IDataView train, IDataView test) = Prepare(features, split.TrainSet, split.TestSet);
            output.WriteLine($"breast-cancer.txt: {Rows(train)} training rows, {Rows(test)} test rows, {FeatureCount(train)} features (80/20 split, seed {seed}; missing values replaced by the mean)");
            BinaryHeader();
            foreach ((string name, Func<IEstimator<ITransformer>> create) in BreastCancerTrainers())
            {
                Binary(name, create, train, test);
            }

            BinaryCrossValidation(raw, features, BreastCancerTrainers());
        }

        private (string, Func<IEstimator<ITransformer>>)[] BreastCancerTrainers() =>
        [
            ("GradientDescent linear", () => mlContext.BinaryClassification.Trainers.GradientDescent(CopyOfLinear())),
            ("GradientDescent MLP [16]", () => mlContext.BinaryClassification.Trainers.GradientDescent(new GradientDescentBinaryTrainer.Options { NumberOfThreads = s_threads, HiddenLayers = [16], NumberOfEpochs = 100 })),
            ("LbfgsLogisticRegression", () => mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression()),
            ("SdcaLogisticRegression", () => mlContext.BinaryClassification.Trainers.SdcaLogisticRegression()),
        ];

        internal void Detox(string path)
        {
            IDataView raw = mlContext.Data.Cache(mlContext.Data.LoadFromTextFile(RequireFile(path),
                [new TextLoader.Column("Label", DataKind.Boolean, 0), new TextLoader.Column("Text", DataKind.String, 1)],
                separatorChar: '\t', hasHeader: true, allowQuoting: true));
            IEstimator<ITransformer> features = mlContext.Transforms.Text.FeaturizeText("Features", "Text");
            DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(raw, 0.2, seed: seed);
            (IDataView train, IDataView test) = Prepare(features, split.TrainSet, split.TestSet);
            output.WriteLine($"wikipedia-detox-250-line-data.tsv: {Rows(train)} training rows, {Rows(test)} test rows, {FeatureCount(train)} features (FeaturizeText: word 1-2-grams and character 3-grams, read densely; 80/20 split, seed {seed})");
            (string, Func<IEstimator<ITransformer>>)[] trainers =
            [
                ("GradientDescent linear", () => mlContext.BinaryClassification.Trainers.GradientDescent(CopyOfLinear())),
                ("LbfgsLogisticRegression", () => mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression()),
                ("SdcaLogisticRegression", () => mlContext.BinaryClassification.Trainers.SdcaLogisticRegression()),
            ];
            BinaryHeader();
            foreach ((string name, Func<IEstimator<ITransformer>> create) in trainers)
            {
                Binary(name, create, train, test);
            }

            BinaryCrossValidation(raw, features, trainers);
        }

        internal void Iris(string path)
        {
            IDataView raw = mlContext.Data.Cache(LoadIris(mlContext, RequireFile(path)));
            IEstimator<ITransformer> features = mlContext.Transforms.Conversion.MapValueToKey("Label");
            DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(raw, 0.2, seed: seed);
            (IDataView train, IDataView test) = Prepare(features, split.TrainSet, split.TestSet);
            output.WriteLine($"iris.txt: {Rows(train)} training rows, {Rows(test)} test rows, {FeatureCount(train)} features (80/20 split, seed {seed})");
            (string, Func<IEstimator<ITransformer>>)[] trainers =
            [
                ("GradientDescent linear", () => mlContext.MulticlassClassification.Trainers.GradientDescent(LinearMulticlass())),
                ("GradientDescent MLP [16]", () => mlContext.MulticlassClassification.Trainers.GradientDescent(new GradientDescentMulticlassTrainer.Options { NumberOfThreads = s_threads, HiddenLayers = [16], NumberOfEpochs = 300 })),
                ("SdcaMaximumEntropy", () => mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy()),
                ("LbfgsMaximumEntropy", () => mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy()),
            ];
            MulticlassHeader();
            foreach ((string name, Func<IEstimator<ITransformer>> create) in trainers)
            {
                Multiclass(name, create, train, test);
            }

            // 21 test rows make one error cost 1/18 of macro accuracy: the cross-validated figures do not hang on one row.
            MulticlassCrossValidation(raw, features, trainers);
        }

        internal void Mnist(string trainPath, string testPath)
        {
            TextLoader loader = mlContext.Data.CreateTextLoader(
                [new TextLoader.Column("Label", DataKind.Single, 0), new TextLoader.Column("Features", DataKind.Single, 1, 784)],
                separatorChar: '\t', hasHeader: false, allowSparse: true);
            IEstimator<ITransformer> features = mlContext.Transforms.Conversion.MapValueToKey("Label");
            (IDataView train, IDataView test) = Prepare(features, loader.Load(RequireFile(trainPath)), loader.Load(RequireFile(testPath)));
            output.WriteLine($"MNIST tiny: {Rows(train)} training rows ({Path.GetFileName(trainPath)}), {Rows(test)} test rows ({Path.GetFileName(testPath)}), {FeatureCount(train)} sparse features");
            (string, Func<IEstimator<ITransformer>>)[] trainers =
            [
                ("GradientDescent linear", () => mlContext.MulticlassClassification.Trainers.GradientDescent(LinearMulticlass())),
                ("GradientDescent MLP [64]", () => mlContext.MulticlassClassification.Trainers.GradientDescent(new GradientDescentMulticlassTrainer.Options { NumberOfThreads = s_threads, HiddenLayers = [64], NumberOfEpochs = 100 })),
                ("SdcaMaximumEntropy", () => mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy()),
                ("LbfgsMaximumEntropy", () => mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy()),
            ];
            MulticlassHeader();
            foreach ((string name, Func<IEstimator<ITransformer>> create) in trainers)
            {
                Multiclass(name, create, train, test);
            }

            // Both files together (215 rows) for the folds: 100 training rows alone leave some digits out of a fold entirely.
            IDataView all = mlContext.Data.Cache(loader.Load(trainPath, testPath));
            MulticlassCrossValidation(all, features, trainers, "both files together");
        }

        /// <summary>k-fold cross-validation (the same folds for every trainer; the features fitted on each fold's training rows).</summary>
        private void BinaryCrossValidation(IDataView raw, IEstimator<ITransformer> features, (string Name, Func<IEstimator<ITransformer>> Create)[] trainers)
        {
            if (s_folds == 0)
            {
                output.WriteLine();
                return;
            }

            CrossValidationHeader(raw, "AUC");
            foreach ((string name, Func<IEstimator<ITransformer>> create) in trainers)
            {
                if (s_linearOnly && !name.EndsWith("linear", StringComparison.Ordinal))
                {
                    continue;
                }

                var folds = mlContext.BinaryClassification.CrossValidate(raw, features.Append(create()), numberOfFolds: s_folds, seed: seed);
                WriteFolds(name,
                    [.. folds.Select(f => f.Metrics.AreaUnderRocCurve)],
                    [.. folds.Select(f => f.Metrics.LogLoss)],
                    [.. folds.Select(f => CalibrationError.Of(f.ScoredHoldOutSet))]);
            }

            output.WriteLine();
        }

        private void MulticlassCrossValidation(IDataView raw, IEstimator<ITransformer> features, (string Name, Func<IEstimator<ITransformer>> Create)[] trainers, string? rows = null)
        {
            if (s_folds == 0)
            {
                output.WriteLine();
                return;
            }

            CrossValidationHeader(raw, "macro acc", rows);
            foreach ((string name, Func<IEstimator<ITransformer>> create) in trainers)
            {
                if (s_linearOnly && !name.EndsWith("linear", StringComparison.Ordinal))
                {
                    continue;
                }

                var folds = mlContext.MulticlassClassification.CrossValidate(raw, features.Append(create()), numberOfFolds: s_folds, seed: seed);
                WriteFolds(name,
                    [.. folds.Select(f => f.Metrics.MacroAccuracy)],
                    [.. folds.Select(f => f.Metrics.LogLoss)],
                    [.. folds.Select(f => CalibrationError.Of(f.ScoredHoldOutSet))]);
            }

            output.WriteLine();
        }

        private void CrossValidationHeader(IDataView raw, string quality, string? rows = null)
        {
            output.WriteLine($"  {s_folds}-fold cross-validation on all {Rows(raw)} rows{(rows is null ? string.Empty : $" ({rows})")} (seed {seed}; the same folds for every trainer): mean over the folds, and the worst fold");
            output.WriteLine($"  {"trainer",-26} {quality,9} {"worst",7} {"log-loss",9} {"worst",7} {"ECE",7} {"worst",7}");
        }

        /// <summary>One line of fold means and worst folds: the lowest quality (AUC or macro accuracy), the highest log-loss and ECE.</summary>
        private void WriteFolds(string name, double[] quality, double[] logLoss, double[] calibration) =>
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-26} {quality.Average(),9:F4} {quality.Min(),7:F4} {logLoss.Average(),9:F4} {logLoss.Max(),7:F4} {calibration.Average(),7:F4} {calibration.Max(),7:F4}"));

        private static GradientDescentBinaryTrainer.Options CopyOfLinear() => new()
        {
            ConvergenceTolerance = s_linear.ConvergenceTolerance, Optimizer = s_linear.Optimizer, LearningRate = s_linear.LearningRate, BatchSize = s_linear.BatchSize, L2Regularization = s_linear.L2Regularization,
            NumberOfThreads = s_threads,
        };

        private static GradientDescentMulticlassTrainer.Options LinearMulticlass() => new()
        {
            ConvergenceTolerance = s_linear.ConvergenceTolerance, Optimizer = s_linear.Optimizer, LearningRate = s_linear.LearningRate, BatchSize = s_linear.BatchSize, L2Regularization = s_linear.L2Regularization,
            NumberOfThreads = s_threads,
        };

        /// <summary>The path, or a clear error when the shared data file is not there.</summary>
        private static string RequireFile(string path) => File.Exists(path)
            ? path
            : throw new FileNotFoundException($"'{Path.GetFullPath(path)}' does not exist: classify reads the shared data sets from ../shared/data next to the repository (pass --data-dir DIR), or choose another --set.", path);

        /// <summary>Fits the preprocessing on the training rows and caches both sides, so that every trainer reads the same in-memory features.</summary>
        private (IDataView Train, IDataView Test) Prepare(IEstimator<ITransformer> features, IDataView train, IDataView test)
        {
            ITransformer transform = features.Fit(train);
            IDataView trainFeatures = mlContext.Data.Cache(transform.Transform(train));
            IDataView testFeatures = mlContext.Data.Cache(transform.Transform(test));
            _ = Rows(trainFeatures);
            _ = Rows(testFeatures);
            return (trainFeatures, testFeatures);
        }

        private void BinaryHeader() =>
            output.WriteLine($"  {"trainer",-26} {"AUC",7} {"log-loss",9} {"ECE",7} {"accuracy",9} {"F1",7} {"fit ms",8} {"epochs",7}");

        private void MulticlassHeader() =>
            output.WriteLine($"  {"trainer",-26} {"macro acc",9} {"micro acc",9} {"log-loss",9} {"ECE",7} {"fit ms",8} {"epochs",7}");

        private void Binary<T>(string name, Func<IEstimator<T>> create, IDataView train, IDataView test)
            where T : class, ITransformer
        {
            if (s_linearOnly && !name.EndsWith("linear", StringComparison.Ordinal))
            {
                return;
            }

            (T model, double milliseconds) = TimeFit(create, train);
            IDataView scored = model.Transform(test);
            CalibratedBinaryClassificationMetrics metrics = mlContext.BinaryClassification.Evaluate(scored);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-26} {metrics.AreaUnderRocCurve,7:F4} {metrics.LogLoss,9:F4} {CalibrationError.Of(scored),7:F4} {metrics.Accuracy,9:F4} {metrics.F1Score,7:F4} {milliseconds,8:F1} {Epochs(model),7}"));
        }

        private void Multiclass<T>(string name, Func<IEstimator<T>> create, IDataView train, IDataView test)
            where T : class, ITransformer
        {
            if (s_linearOnly && !name.EndsWith("linear", StringComparison.Ordinal))
            {
                return;
            }

            (T model, double milliseconds) = TimeFit(create, train);
            IDataView scored = model.Transform(test);
            MulticlassClassificationMetrics metrics = mlContext.MulticlassClassification.Evaluate(scored);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-26} {metrics.MacroAccuracy,9:F4} {metrics.MicroAccuracy,9:F4} {metrics.LogLoss,9:F4} {CalibrationError.Of(scored),7:F4} {milliseconds,8:F1} {Epochs(model),7}"));
        }

        /// <summary>One untimed fit (JIT, first-touch memory), then the best of <c>repeats</c> timed fits.</summary>
        private (T Model, double Milliseconds) TimeFit<T>(Func<IEstimator<T>> create, IDataView train)
            where T : class, ITransformer
        {
            T model = create().Fit(train);
            double best = double.MaxValue;
            for (int i = 0; i < repeats; i++)
            {
                IEstimator<T> estimator = create();
                long start = Stopwatch.GetTimestamp();
                model = estimator.Fit(train);
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            return (model, best);
        }

        private static string Epochs(ITransformer model) => model switch
        {
            GradientDescentBinaryTransformer binary => $"{binary.Model.EpochsRun}",
            GradientDescentMulticlassTransformer multiclass => $"{multiclass.Model.EpochsRun}",
            _ => "-",
        };

        private static long Rows(IDataView data)
        {
            long rows = 0;
            using DataViewRowCursor cursor = data.GetRowCursor([]);
            while (cursor.MoveNext())
            {
                rows++;
            }

            return rows;
        }

        private static int FeatureCount(IDataView data) => data.Schema["Features"].Type is VectorDataViewType vector ? vector.Size : 1;
    }
}
