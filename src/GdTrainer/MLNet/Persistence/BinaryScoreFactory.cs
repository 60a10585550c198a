namespace GdTrainer.MLNet;

using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

/// <summary>
/// Part of the saved form of <see cref="GradientDescentBinaryTransformer"/> (model format version 2): computes <c>PredictedLabel</c>,
/// <c>Score</c> and <c>Probability</c> from the features and the saved model record, with the same code as the in-memory
/// transformer (bit-identical values). The record is decoded and verified once, before the first row is scored; a damaged record
/// stops scoring with an <see cref="InvalidDataException"/>. ML.NET finds this factory by its contract name when a model file is
/// loaded; user code does not need it. Safe for concurrent scoring.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class BinaryScoreFactory : CustomMappingFactory<RegressionScoreFactory.ScoringInput, BinaryScoreFactory.BinaryOutput>
{
    /// <summary>The contract name stored in model files.</summary>
    public const string ContractName = "GdTrainer.Binary.Score.v2";

    /// <summary>Scores one row.</summary>
    public override Action<RegressionScoreFactory.ScoringInput, BinaryOutput> GetMapping()
    {
        var cache = new PayloadCache();
        return (input, output) =>
        {
            GradientDescentModelParameters model = cache.Get(input.Model).Model;
            Span<float> logit = stackalloc float[1];
            ModelScoring.Score(model, input.Features, logit);
            output.Score = logit[0];
            output.Probability = BinaryColumns.Sigmoid(logit[0]);
            output.PredictedLabel = output.Probability >= 0.5f;
        };
    }

    /// <summary>The binary classification columns.</summary>
    public sealed class BinaryOutput
    {
        /// <summary>Whether the probability is at least 0.5.</summary>
        public bool PredictedLabel;

        /// <summary>The raw logit.</summary>
        public float Score;

        /// <summary>The sigmoid of the logit.</summary>
        public float Probability;
    }
}
