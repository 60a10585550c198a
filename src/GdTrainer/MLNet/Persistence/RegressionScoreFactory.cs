namespace GdTrainer.MLNet;

using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

/// <summary>
/// Part of the saved form of <see cref="GradientDescentRegressionTransformer"/> (model format version 2): computes <c>Score</c>
/// from the features and the saved model record, with the same code as the in-memory transformer (bit-identical scores).
/// The record is decoded and its checksum verified once, before the first row is scored; a damaged record stops scoring
/// with an <see cref="InvalidDataException"/>. ML.NET finds this factory by its contract name when a model file is loaded;
/// user code does not need it. Safe for concurrent scoring.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class RegressionScoreFactory : CustomMappingFactory<RegressionScoreFactory.ScoringInput, RegressionScoreFactory.ScoreOutput>
{
    /// <summary>The contract name stored in model files.</summary>
    public const string ContractName = "GdTrainer.Regression.Score.v2";

    /// <summary>Scores one row.</summary>
    public override Action<ScoringInput, ScoreOutput> GetMapping()
    {
        var cache = new PayloadCache();
        return (input, output) =>
        {
            GradientDescentModelParameters model = cache.Get(input.Model).Model;
            Span<float> score = stackalloc float[1];
            ModelScoring.Score(model, input.Features, score);
            output.Score = score[0];
        };
    }

    /// <summary>The columns the score is computed from.</summary>
    public sealed class ScoringInput
    {
        /// <summary>The features, concatenated into one vector.</summary>
        [ColumnName(SavedModelCarrier.FeaturesColumnV2)]
        public VBuffer<float> Features;

        /// <summary>The saved model record (Base64 text).</summary>
        [ColumnName(SavedModelCarrier.ModelColumnV2)]
        public ReadOnlyMemory<char> Model;
    }

    /// <summary>The score column.</summary>
    public sealed class ScoreOutput
    {
        /// <summary>The predicted value.</summary>
        public float Score;
    }
}
