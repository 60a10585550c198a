namespace GdTrainer.Samples.Distributed;

/// <summary>One generated row of the <c>distributed</c> sample: a feature vector, a regression target and a binary label.</summary>
public sealed class DistributedRow
{
    /// <summary>The features; their count is set at run time through a schema definition.</summary>
    public float[] Features { get; set; } = [];

    /// <summary>The regression target.</summary>
    public float Target { get; set; }

    /// <summary>The binary label: whether the noiseless target plus logistic noise is above its median (about half the rows).</summary>
    public bool Positive { get; set; }
}
