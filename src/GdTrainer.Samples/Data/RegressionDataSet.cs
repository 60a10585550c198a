using Microsoft.ML;

namespace GdTrainer.Samples.Data;

/// <summary>
/// A data set ready for a regression comparison: raw rows, and the featurizing pipeline that turns
/// them into a normalised <c>Features</c> vector and a <c>Label</c> (the part every trainer shares).
/// </summary>
/// <param name="Data">The raw rows.</param>
/// <param name="Featurizer">The shared pipeline, ending with <c>Features</c> and <c>Label</c> columns.</param>
/// <param name="Description">One line saying what the data is (source, rows, features).</param>
public sealed record RegressionDataSet(IDataView Data, IEstimator<ITransformer> Featurizer, string Description);
