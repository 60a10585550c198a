namespace GdTrainer.Training;

/// <summary>
/// How a trainer transforms the features before gradient descent. The transform is folded back into the
/// trained weights and bias afterwards, so the model always scores the raw features it was given; what
/// changes is how fast (and whether) plain gradient descent reaches the optimum.
/// </summary>
public enum FeatureStandardization
{
    /// <summary>Train on the features as given (plain SGD, as PyTorch's loop on raw tensors).</summary>
    None,

    /// <summary>
    /// Subtract each feature's (example-weighted) mean. The bias then decouples from the weights, which is
    /// what makes features with large offsets (ML.NET's default <c>NormalizeMeanVariance</c>, one-hot columns) train fast.
    /// </summary>
    Center,

    /// <summary>
    /// Subtract each feature's (example-weighted) mean and divide by its standard deviation; a column with
    /// zero variance is only centred (it then holds zeros and its weight stays 0). This makes the loss
    /// surface as round as the features' correlations allow, so one learning rate suits every feature and
    /// no normaliser is needed in the pipeline.
    /// </summary>
    CenterAndScale,
}
