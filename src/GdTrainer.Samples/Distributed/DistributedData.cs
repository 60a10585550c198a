using GdTrainer.Samples.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Distributed;

/// <summary>
/// The <c>distributed</c> sample's data: rows generated from a seed alone, so that every rank of an MPI job (and a plain process
/// that scores a saved model) builds the same rows without sharing a file. Features are standard normal; the target is a linear
/// term plus one product and one sine, so that the MLP has something the linear model cannot fit.
/// </summary>
public static class DistributedData
{
    /// <summary>The seed of the data, independent of the training seed.</summary>
    public const int DataSeed = 20261207;

    /// <summary>Generates <paramref name="rowCount"/> rows of <paramref name="featureCount"/> features (at least 2).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is below its minimum (1 row, 2 features).</exception>
    public static DistributedRow[] Generate(int rowCount, int featureCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 2);
        var generator = new Random(DataSeed);
        var weights = new double[featureCount];
        for (int j = 0; j < featureCount; j++)
        {
            weights[j] = generator.NextDouble() * 2.0 - 1.0;
        }

        var rows = new DistributedRow[rowCount];
        for (int i = 0; i < rowCount; i++)
        {
            var features = new float[featureCount];
            double target = 0.5;
            for (int j = 0; j < featureCount; j++)
            {
                features[j] = SyntheticRegressionData.Gaussian(generator);
                target += weights[j] * features[j];
            }

            target += 0.8 * features[0] * features[1] + Math.Sin(2.0 * features[1]);
            double noise = 0.1 * SyntheticRegressionData.Gaussian(generator);
            double uniform = Math.Clamp(generator.NextDouble(), 1e-12, 1.0 - 1e-12);
            double logistic = Math.Log(uniform / (1.0 - uniform));
            rows[i] = new DistributedRow { Features = features, Target = (float)(target + noise), Positive = target - 0.5 + 0.5 * logistic > 0.0 };
        }

        return rows;
    }

    /// <summary>The rows as an <see cref="IDataView"/> with a known-size <c>Features</c> vector, <c>Target</c> and <c>Positive</c>.</summary>
    public static IDataView ToDataView(MLContext mlContext, DistributedRow[] rows, int featureCount)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(rows);
        SchemaDefinition schema = SchemaDefinition.Create(typeof(DistributedRow));
        schema[nameof(DistributedRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        return mlContext.Data.LoadFromEnumerable(rows, schema);
    }
}
