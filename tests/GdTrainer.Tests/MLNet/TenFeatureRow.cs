namespace GdTrainer.Tests.MLNet;

using Microsoft.ML.Data;

/// <summary>A prediction-engine input row of 10 features (the Friedman #1 shape).</summary>
public sealed class TenFeatureRow
{
    /// <summary>The features.</summary>
    [VectorType(10)]
    public float[] Features = [];

    /// <summary>The label (unused when scoring).</summary>
    public float Label;
}
