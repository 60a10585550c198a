namespace GdTrainer.Samples.Data;

/// <summary>What the samples' featurizing pipelines put in front of the trainer to normalise numeric features.</summary>
public enum PipelineNormalizer
{
    /// <summary>No normaliser: the trainer gets the features as concatenated.</summary>
    None,

    /// <summary>ML.NET's default <c>NormalizeMeanVariance</c> (<c>fixZero: true</c>): scales only, so zero stays zero.</summary>
    MeanVarianceFixZero,

    /// <summary><c>NormalizeMeanVariance(fixZero: false)</c>: centres and scales (standardises).</summary>
    MeanVariance,
}
