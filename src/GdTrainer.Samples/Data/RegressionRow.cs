namespace GdTrainer.Samples.Data;

/// <summary>One row of a generated regression set: a feature vector and its label.</summary>
public sealed class RegressionRow
{
    /// <summary>The features; their count is set at run time through a schema definition.</summary>
    public float[] Features { get; set; } = [];

    /// <summary>The target value.</summary>
    public float Label { get; set; }
}
