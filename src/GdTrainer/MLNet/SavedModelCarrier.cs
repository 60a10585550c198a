namespace GdTrainer.MLNet;

using System.Diagnostics.CodeAnalysis;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// Builds the chain of built-in ML.NET transformers that stands in for a
/// <see cref="GradientDescentRegressionTransformer"/> in a saved model file (ML.NET lets third-party
/// transformers save only through built-in ones):
/// <list type="number">
/// <item>Concatenate the feature column into <c>__GdTrainer_Features</c> (a vector, also for a scalar feature);</item>
/// <item>a custom mapping (<see cref="LinearScoreModelKeyFactory"/>) writes the constant key <c>__GdTrainer_ModelKey</c>;</item>
/// <item><c>MapValue</c> maps that key to the vector <c>[w_0, ..., w_{d-1}, b]</c>, which is stored in the model file;</item>
/// <item>a custom mapping (<see cref="LinearScoreFactory"/>) computes <c>Score</c> from the features and that vector;</item>
/// <item>the helper columns are dropped.</item>
/// </list>
/// The same <c>MapValue</c> mapping holds two more entries that scoring never looks up (the key column is
/// always <see cref="ModelKey"/>, so they cost nothing per row); they let <see cref="GradientDescentModel.Load"/>
/// rebuild the <see cref="GradientDescentRegressionTransformer"/> (see <see cref="SavedModelRestorer"/>):
/// <list type="bullet">
/// <item><see cref="DescriptionKey"/>: the feature column, as <c>[k, n_1, ..., n_k, c_1, ..., c_m]</c>: its number
/// of vector dimensions <c>k</c> (0 for a Single scalar), their sizes, then its name as UTF-16 code units, one per float;</item>
/// <item><see cref="LossHistoryKey"/>: the training loss of each epoch (possibly empty).</item>
/// </list>
/// </summary>
internal static class SavedModelCarrier
{
    internal const string FeaturesColumn = "__GdTrainer_Features";
    internal const string KeyColumn = "__GdTrainer_ModelKey";
    internal const string ParametersColumn = "__GdTrainer_Parameters";
    internal const float ModelKey = 1f;
    internal const float DescriptionKey = 2f;
    internal const float LossHistoryKey = 3f;

    internal static ITransformer Build(GdTrainer.MLNet.GradientDescentLinearModelParameters model, string featureColumnName, DataViewType featureColumnType)
    {
        var mlContext = new MLContext(seed: 0);
        var parameters = new float[model.FeatureCount + 1];
        model.WeightSpan.CopyTo(parameters);
        parameters[^1] = model.Bias;

        IEstimator<ITransformer> chain = mlContext.Transforms.Concatenate(FeaturesColumn, featureColumnName)
            .Append(mlContext.Transforms.CustomMapping(new LinearScoreModelKeyFactory().GetMapping(), LinearScoreModelKeyFactory.ContractName))
            .Append(mlContext.Transforms.Conversion.MapValue(
                ParametersColumn,
                [
                    new KeyValuePair<float, float[]>(ModelKey, parameters),
                    new KeyValuePair<float, float[]>(DescriptionKey, DescribeFeatureColumn(featureColumnName, featureColumnType)),
                    new KeyValuePair<float, float[]>(LossHistoryKey, model.LossHistory.ToArray()),
                ],
                KeyColumn))
            .Append(mlContext.Transforms.CustomMapping(new LinearScoreFactory().GetMapping(), LinearScoreFactory.ContractName))
            .Append(mlContext.Transforms.DropColumns(FeaturesColumn, KeyColumn, ParametersColumn));

        return chain.Fit(EmptyView(mlContext, featureColumnName, featureColumnType));
    }

    /// <summary>Encodes the feature column as stored under <see cref="DescriptionKey"/>: <c>[k, n_1, ..., n_k, name code units...]</c>.</summary>
    internal static float[] DescribeFeatureColumn(string featureColumnName, DataViewType featureColumnType)
    {
        ReadOnlySpan<int> dimensions = featureColumnType is VectorDataViewType vector ? vector.Dimensions.AsSpan() : [];
        var description = new float[1 + dimensions.Length + featureColumnName.Length];
        description[0] = dimensions.Length;
        for (int i = 0; i < dimensions.Length; i++)
        {
            description[1 + i] = dimensions[i];
        }

        for (int i = 0; i < featureColumnName.Length; i++)
        {
            description[1 + dimensions.Length + i] = featureColumnName[i];
        }

        return description;
    }

    /// <summary>
    /// Decodes what <see cref="DescribeFeatureColumn"/> wrote; false if <paramref name="description"/> is not
    /// such an encoding (for example a file saved before descriptions were stored).
    /// </summary>
    internal static bool TryReadFeatureColumn(ReadOnlySpan<float> description, [NotNullWhen(true)] out string? featureColumnName, [NotNullWhen(true)] out DataViewType? featureColumnType)
    {
        featureColumnName = null;
        featureColumnType = null;
        if (description.IsEmpty || !IsCount(description[0], 8) || description.Length <= 1 + (int)description[0])
        {
            return false;
        }

        int rank = (int)description[0];
        var dimensions = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            if (!IsCount(description[1 + i], 1 << 24) || description[1 + i] == 0f)
            {
                return false;
            }

            dimensions[i] = (int)description[1 + i];
        }

        ReadOnlySpan<float> codes = description[(1 + rank)..];
        var name = new char[codes.Length];
        for (int i = 0; i < codes.Length; i++)
        {
            if (!IsCount(codes[i], char.MaxValue))
            {
                return false;
            }

            name[i] = (char)codes[i];
        }

        featureColumnName = new string(name);
        featureColumnType = rank == 0 ? NumberDataViewType.Single : new VectorDataViewType(NumberDataViewType.Single, dimensions);
        return true;
    }

    /// <summary>Whether <paramref name="value"/> is a whole number in [0, <paramref name="maximum"/>].</summary>
    private static bool IsCount(float value, int maximum) => value >= 0f && value <= maximum && value == MathF.Floor(value);

    /// <summary>An empty data view whose only column is the feature column, to fit the chain against.</summary>
    private static IDataView EmptyView(MLContext mlContext, string featureColumnName, DataViewType featureColumnType)
    {
        if (featureColumnType is VectorDataViewType)
        {
            SchemaDefinition vectorDefinition = SchemaDefinition.Create(typeof(VectorRow));
            vectorDefinition[0].ColumnName = featureColumnName;
            vectorDefinition[0].ColumnType = featureColumnType;
            return mlContext.Data.LoadFromEnumerable(Array.Empty<VectorRow>(), vectorDefinition);
        }

        SchemaDefinition scalarDefinition = SchemaDefinition.Create(typeof(ScalarRow));
        scalarDefinition[0].ColumnName = featureColumnName;
        return mlContext.Data.LoadFromEnumerable(Array.Empty<ScalarRow>(), scalarDefinition);
    }

    private sealed class VectorRow
    {
        public float[] Features = [];
    }

    private sealed class ScalarRow
    {
        public float Features = 0f;
    }
}
