namespace GdTrainer.MLNet;

using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

/// <summary>
/// Part of the saved form of GdTrainer's transformers (model format version 2): writes the constant key that the saved model
/// record is looked up by. ML.NET finds this factory by its contract name when a model file is loaded; user code does not need it.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class ModelKeyFactory : CustomMappingFactory<ModelKeyFactory.NoInput, ModelKeyFactory.KeyOutput>
{
    /// <summary>The contract name stored in model files.</summary>
    public const string ContractName = "GdTrainer.ModelKey.v2";

    /// <summary>Sets the key to the constant the record map was built with.</summary>
    public override Action<NoInput, KeyOutput> GetMapping() => static (_, output) => output.ModelKey = SavedModelCarrier.ModelKey;

    /// <summary>No input columns are read.</summary>
    public sealed class NoInput
    {
    }

    /// <summary>The key column.</summary>
    public sealed class KeyOutput
    {
        /// <summary>The constant key.</summary>
        [ColumnName(SavedModelCarrier.KeyColumnV2)]
        public float ModelKey;
    }
}
