namespace GdTrainer.Tests.MLNet;

/// <summary>A prediction-engine output row.</summary>
public sealed class ScorePrediction
{
    /// <summary>The score.</summary>
    public float Score;
}
