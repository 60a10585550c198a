using System.Diagnostics;
using System.Globalization;
using GdTrainer.MLNet;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Benchmarks.FitCost;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/GdTrainer.Benchmarks -- first-fit [--processes 5] [--fits 3]</c>: issue 20's
/// first-Fit measurement. For each fit (the linear regression trainer with its defaults on 200,000 x 20 cached rows, the binary
/// and multiclass trainers with their defaults on the same rows, labelled by the sign of the linear score or its tertile, the
/// <c>compare</c> sample's MLP recipe on 20,000 Friedman #1 rows, and ML.NET's SDCA on the linear rows as the anchor) it
/// starts <c>--processes</c> fresh processes of this program; each fits <c>--fits</c> times in a row and prints every Fit's
/// wall time. The first Fit of a process pays for the JIT (tiered compilation) of everything it touches; the later ones show
/// the warm cost. The summary gives, per fit, the median first Fit, the median warm Fit (the median of each process's later
/// fits) and their ratio (issue 20's target: at most 1.5).
/// </summary>
public static class FirstFitCommand
{
    /// <summary>The options.</summary>
    public const string Usage = "first-fit [--processes 5] [--fits 3]    (one child: first-fit child linear|binary|multiclass|mlp|sdca FITS)";

    private const int LinearRows = 200_000;
    private const int LinearFeatures = 20;
    private const int FriedmanRows = 20_000;
    private const int FriedmanFeatures = 10;

    /// <summary>Runs the measurement, or one child process of it.</summary>
    /// <exception cref="ArgumentException">An option is unknown or out of range.</exception>
    public static void Run(string[] args)
    {
        if (args.Length == 3 && args[0] == "child")
        {
            RunChild(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
            return;
        }

        int processes = 5;
        int fits = 3;
        for (int i = 0; i < args.Length; i += 2)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value. Usage: {Usage}");
            switch (args[i])
            {
                case "--processes":
                    processes = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--fits":
                    fits = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{args[i]}'. Usage: {Usage}");
            }
        }

        if (processes < 1 || fits < 2)
        {
            throw new ArgumentException($"--processes must be at least 1 and --fits at least 2 (a warm Fit to compare with). Usage: {Usage}");
        }

        var summary = new List<string>();
        foreach (string kind in (string[])["linear", "binary", "multiclass", "mlp", "sdca"])
        {
            var first = new List<double>();
            var warm = new List<double>();
            for (int p = 0; p < processes; p++)
            {
                string result = ChildProcess.Run(["first-fit", "child", kind, fits.ToString(CultureInfo.InvariantCulture)]).Single();
                double[] times = [.. result.Split(' ').Skip(2).Select(t => double.Parse(t, CultureInfo.InvariantCulture))];
                first.Add(times[0]);
                warm.Add(Median([.. times.Skip(1)]));
            }

            summary.Add(string.Create(CultureInfo.InvariantCulture,
                $"  {kind,-6} first Fit median {Median(first),7:F0} ms (range {first.Min():F0}-{first.Max():F0}), warm median {Median(warm),7:F0} ms: first / warm {Median(first) / Median(warm):F2}x"));
        }

        Console.WriteLine($"first-fit over {processes} fresh processes of {fits} fits each:");
        summary.ForEach(Console.WriteLine);
    }

    /// <summary>One fresh process: builds the cached rows, fits <paramref name="fits"/> times, prints <c>RESULT kind ms ms ...</c>.</summary>
    private static void RunChild(string kind, int fits)
    {
        if (kind is not ("linear" or "binary" or "multiclass" or "mlp" or "sdca"))
        {
            throw new ArgumentException($"The fit '{kind}' is unknown: use linear, binary, multiclass, mlp or sdca.");
        }

        var mlContext = new MLContext(seed: 1);
        bool friedman = kind == "mlp";
        IDataView data = CachedRows(mlContext, friedman ? FriedmanRows : LinearRows, friedman ? FriedmanFeatures : LinearFeatures, friedman);
        if (kind == "binary")
        {
            // Positive where the label is above its mean: 0.5 + the sum of (j % 3 - 1) / 2 over 20 uniform features = 0 (sd ~1.04).
            data = mlContext.Data.Cache(mlContext.Transforms.CustomMapping<FitCostRow, BinaryLabel>((row, label) => label.Positive = row.Label > 0f, null).Fit(data).Transform(data));
        }
        else if (kind == "multiclass")
        {
            data = mlContext.Data.Cache(mlContext.Transforms.CustomMapping<FitCostRow, ClassLabel>((row, label) => label.Class = row.Label < -0.45f ? "low" : row.Label < 0.45f ? "middle" : "high", null)
                .Append(mlContext.Transforms.Conversion.MapValueToKey("ClassKey", nameof(ClassLabel.Class))).Fit(data).Transform(data));
        }

        if (kind is "binary" or "multiclass")
        {
            // Fill the new cache (the label's mapping runs here, not in the first Fit).
            DataViewSchema.Column label = data.Schema[kind == "binary" ? nameof(BinaryLabel.Positive) : "ClassKey"];
            DataViewSchema.Column features = data.Schema[nameof(FitCostRow.Features)];
            using DataViewRowCursor cursor = data.GetRowCursor([label, features]);
            ValueGetter<VBuffer<float>> getFeatures = cursor.GetGetter<VBuffer<float>>(features);
            VBuffer<float> row = default;
            bool positive = false;
            uint key = 0;
            ValueGetter<bool>? getPositive = kind == "binary" ? cursor.GetGetter<bool>(label) : null;
            ValueGetter<uint>? getKey = kind == "binary" ? null : cursor.GetGetter<uint>(label);
            while (cursor.MoveNext())
            {
                getFeatures(ref row);
                getPositive?.Invoke(ref positive);
                getKey?.Invoke(ref key);
            }
        }

        var times = new List<string>();
        for (int f = 0; f < fits; f++)
        {
            long started = Stopwatch.GetTimestamp();
            if (kind == "sdca")
            {
                mlContext.Regression.Trainers.Sdca().Fit(data);
            }
            else if (kind == "binary")
            {
                mlContext.BinaryClassification.Trainers.GradientDescent(new GradientDescentBinaryTrainer.Options { LabelColumnName = nameof(BinaryLabel.Positive) }).Fit(data);
            }
            else if (kind == "multiclass")
            {
                mlContext.MulticlassClassification.Trainers.GradientDescent(new GradientDescentMulticlassTrainer.Options { LabelColumnName = "ClassKey" }).Fit(data);
            }
            else
            {
                // The compare sample's MLP recipe on Friedman #1; the linear model with every default.
                GradientDescentRegressionTrainer.Options options = friedman
                    ? new() { HiddenLayers = [64, 64], Optimizer = OptimizerSettings.Adam(), LearningRate = 1e-3f, NumberOfEpochs = 500, BatchSize = 32, ValidationFraction = 0.3f, EarlyStopping = new EarlyStopping { Patience = 30 }, L2Regularization = 0f, Seed = 42 }
                    : new();
                mlContext.Regression.Trainers.GradientDescent(options).Fit(data);
            }

            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture));
        }

        Console.WriteLine($"RESULT {kind} {string.Join(' ', times)}");
    }

    /// <summary>Uniform features in [0, 1); the label linear in them (or Friedman #1), plus uniform noise; cached and read once.</summary>
    private static IDataView CachedRows(MLContext mlContext, int rows, int features, bool friedman)
    {
        var random = new Random(5);
        var list = new List<FitCostRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            var x = new float[features];
            for (int j = 0; j < features; j++)
            {
                x[j] = (float)random.NextDouble();
            }

            double y = 0.5;
            if (friedman)
            {
                y = (10 * Math.Sin(Math.PI * x[0] * x[1])) + (20 * (x[2] - 0.5) * (x[2] - 0.5)) + (10 * x[3]) + (5 * x[4]);
            }
            else
            {
                for (int j = 0; j < features; j++)
                {
                    y += ((j % 3) - 1) * x[j];
                }
            }

            list.Add(new FitCostRow { Features = x, Label = (float)(y + ((friedman ? 1.0 : 0.1) * (random.NextDouble() - 0.5))) });
        }

        return FitCostRow.Cache(mlContext, list, features);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }

    /// <summary>The binary label the first-Fit measurement derives from the linear rows.</summary>
    private sealed class BinaryLabel
    {
        public bool Positive { get; set; }
    }

    /// <summary>The class the first-Fit measurement derives from the linear rows (three classes, about a third each).</summary>
    private sealed class ClassLabel
    {
        public string Class { get; set; } = "";
    }
}
