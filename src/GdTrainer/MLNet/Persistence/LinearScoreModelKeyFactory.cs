namespace GdTrainer.MLNet;

using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

/// <summary>
/// Part of the saved form of <see cref="GradientDescentRegressionTransformer"/>: writes the constant key
/// that the saved parameter map looks up. ML.NET finds this factory by its contract name when a model
/// file is loaded; user code does not need it.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class LinearScoreModelKeyFactory : CustomMappingFactory<LinearScoreModelKeyFactory.NoInput, LinearScoreModelKeyFactory.KeyOutput>
{
    /// <summary>The contract name stored in model files.</summary>
    public const string ContractName = "GdTrainer.LinearScore.ModelKey.v1";

    /// <summary>Sets the key to the constant the parameter map was built with.</summary>
    public override Action<NoInput, KeyOutput> GetMapping() => static (_, output) => output.ModelKey = SavedModelCarrier.ModelKey;

    /// <summary>No input columns are read.</summary>
    public sealed class NoInput
    {
    }

    /// <summary>The key column.</summary>
    public sealed class KeyOutput
    {
        /// <summary>The constant key.</summary>
        [ColumnName(SavedModelCarrier.KeyColumn)]
        public float ModelKey;
    }
}
