using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Data;

/// <summary>
/// Loads a regression CSV for the samples. The ML.NET taxi-fare files get the ML.NET sample's own
/// pipeline (fares kept in [1, 150], one-hot vendor, rate code and payment type, normalised
/// passenger count, trip time and distance); any other file with a header of numeric columns is read
/// whole, with every column but the label as a feature, normalised.
/// </summary>
public static class CsvRegressionData
{
    private static readonly string[] s_taxiHeader =
        ["vendor_id", "rate_code", "passenger_count", "trip_time_in_secs", "trip_distance", "payment_type", "fare_amount"];

    /// <summary>Reads <paramref name="path"/>; <paramref name="labelColumn"/> defaults to <c>fare_amount</c> for taxi data and to the last column otherwise.</summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="path">A CSV, semicolon- or TAB-separated file with a header.</param>
    /// <param name="labelColumn">The label's header name, or null for the default.</param>
    /// <param name="normalizer">How the pipeline normalises the numeric features (the taxi pipeline's three numeric columns, or every column of another file).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file has no header, or the label column is not in it.</exception>
    public static RegressionDataSet Load(MLContext mlContext, string path, string? labelColumn, PipelineNormalizer normalizer = PipelineNormalizer.MeanVariance)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The data file '{path}' does not exist.", path);
        }

        string header = File.ReadLines(path).FirstOrDefault()
            ?? throw new InvalidDataException($"The data file '{path}' is empty; it needs a header line naming its columns.");
        char separator = DetectSeparator(header);
        string[] names = header.Split(separator).Select(name => name.Trim()).ToArray();
        return names.SequenceEqual(s_taxiHeader) && (labelColumn is null or "fare_amount")
            ? LoadTaxiFare(mlContext, path, normalizer)
            : LoadNumeric(mlContext, path, names, separator, labelColumn ?? names[^1], normalizer);
    }

    private static RegressionDataSet LoadTaxiFare(MLContext mlContext, string path, PipelineNormalizer normalizer)
    {
        var loader = mlContext.Data.CreateTextLoader(
            [
                new TextLoader.Column("vendor_id", DataKind.String, 0),
                new TextLoader.Column("rate_code", DataKind.String, 1),
                new TextLoader.Column("passenger_count", DataKind.Single, 2),
                new TextLoader.Column("trip_time_in_secs", DataKind.Single, 3),
                new TextLoader.Column("trip_distance", DataKind.Single, 4),
                new TextLoader.Column("payment_type", DataKind.String, 5),
                new TextLoader.Column("Label", DataKind.Single, 6),
            ],
            separatorChar: ',',
            hasHeader: true);
        IDataView all = loader.Load(path);
        IDataView kept = mlContext.Data.FilterRowsByColumn(all, "Label", lowerBound: 1, upperBound: 150);

        IEstimator<ITransformer> featurizer = mlContext.Transforms.Categorical.OneHotEncoding("vendor_id_encoded", "vendor_id")
            .Append(mlContext.Transforms.Categorical.OneHotEncoding("rate_code_encoded", "rate_code"))
            .Append(mlContext.Transforms.Categorical.OneHotEncoding("payment_type_encoded", "payment_type"));
        if (normalizer != PipelineNormalizer.None)
        {
            bool fixZero = normalizer == PipelineNormalizer.MeanVarianceFixZero;
            featurizer = featurizer
                .Append(mlContext.Transforms.NormalizeMeanVariance("passenger_count", fixZero: fixZero))
                .Append(mlContext.Transforms.NormalizeMeanVariance("trip_time_in_secs", fixZero: fixZero))
                .Append(mlContext.Transforms.NormalizeMeanVariance("trip_distance", fixZero: fixZero));
        }

        featurizer = featurizer.Append(mlContext.Transforms.Concatenate(
            "Features", "vendor_id_encoded", "rate_code_encoded", "payment_type_encoded", "passenger_count", "trip_time_in_secs", "trip_distance"));
        return new RegressionDataSet(kept, featurizer, $"taxi fares from {path} (ML.NET sample pipeline, fares in [1, 150], {Describe(normalizer)})");
    }

    private static RegressionDataSet LoadNumeric(MLContext mlContext, string path, string[] names, char separator, string labelColumn, PipelineNormalizer normalizer)
    {
        int labelIndex = Array.IndexOf(names, labelColumn);
        if (labelIndex < 0)
        {
            throw new InvalidDataException(
                $"The label column '{labelColumn}' is not in the header of '{path}'. Columns: {string.Join(", ", names)}. Choose one with --label.");
        }

        var columns = new TextLoader.Column[names.Length];
        var features = new List<string>();
        for (int i = 0; i < names.Length; i++)
        {
            string name = i == labelIndex ? "Label" : $"f{i}_{names[i]}";
            columns[i] = new TextLoader.Column(name, DataKind.Single, i);
            if (i != labelIndex)
            {
                features.Add(name);
            }
        }

        IDataView data = mlContext.Data.CreateTextLoader(columns, separatorChar: separator, hasHeader: true).Load(path);
        IEstimator<ITransformer> featurizer = mlContext.Transforms.Concatenate("Features", [.. features]);
        if (normalizer != PipelineNormalizer.None)
        {
            featurizer = featurizer.Append(mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: normalizer == PipelineNormalizer.MeanVarianceFixZero));
        }

        return new RegressionDataSet(data, featurizer, $"{path}: {features.Count} numeric features, label '{labelColumn}' ({Describe(normalizer)})");
    }

    private static string Describe(PipelineNormalizer normalizer) => normalizer switch
    {
        PipelineNormalizer.None => "no normaliser",
        PipelineNormalizer.MeanVarianceFixZero => "NormalizeMeanVariance, fixZero: true",
        _ => "NormalizeMeanVariance, fixZero: false",
    };

    private static char DetectSeparator(string header)
    {
        char best = ',';
        int most = 0;
        foreach (char candidate in (ReadOnlySpan<char>)[',', ';', '\t'])
        {
            int count = header.Count(c => c == candidate);
            if (count > most)
            {
                (best, most) = (candidate, count);
            }
        }

        return best;
    }
}
