namespace GdTrainer.MLNet;

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
/// </summary>
internal static class SavedModelCarrier
{
    internal const string FeaturesColumn = "__GdTrainer_Features";
    internal const string KeyColumn = "__GdTrainer_ModelKey";
    internal const string ParametersColumn = "__GdTrainer_Parameters";
    internal const float ModelKey = 1f;

    internal static ITransformer Build(GdTrainer.MLNet.GradientDescentLinearModelParameters model, string featureColumnName, DataViewType featureColumnType)
    {
        var mlContext = new MLContext(seed: 0);
        var parameters = new float[model.FeatureCount + 1];
        model.WeightSpan.CopyTo(parameters);
        parameters[^1] = model.Bias;

        IEstimator<ITransformer> chain = mlContext.Transforms.Concatenate(FeaturesColumn, featureColumnName)
            .Append(mlContext.Transforms.CustomMapping(new LinearScoreModelKeyFactory().GetMapping(), LinearScoreModelKeyFactory.ContractName))
            .Append(mlContext.Transforms.Conversion.MapValue(ParametersColumn, [new KeyValuePair<float, float[]>(ModelKey, parameters)], KeyColumn))
            .Append(mlContext.Transforms.CustomMapping(new LinearScoreFactory().GetMapping(), LinearScoreFactory.ContractName))
            .Append(mlContext.Transforms.DropColumns(FeaturesColumn, KeyColumn, ParametersColumn));

        return chain.Fit(EmptyView(mlContext, featureColumnName, featureColumnType));
    }

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
