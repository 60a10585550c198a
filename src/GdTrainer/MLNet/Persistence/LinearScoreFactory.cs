namespace GdTrainer.MLNet;

using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

/// <summary>
/// Part of the saved form of <see cref="GradientDescentRegressionTransformer"/>: computes the score from
/// the features and the saved parameter vector <c>[w_0, ..., w_{d-1}, b]</c>, with the same formula as
/// the in-memory transformer. ML.NET finds this factory by its contract name when a model file is
/// loaded; user code does not need it. Stateless, so safe for concurrent scoring.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class LinearScoreFactory : CustomMappingFactory<LinearScoreFactory.ScoringInput, LinearScoreFactory.ScoreOutput>
{
    /// <summary>The contract name stored in model files.</summary>
    public const string ContractName = "GdTrainer.LinearScore.v1";

    /// <summary>Scores one row.</summary>
    public override Action<ScoringInput, ScoreOutput> GetMapping() => static (input, output) =>
    {
        ReadOnlySpan<float> parameters = input.Parameters.GetValues();
        if (!input.Parameters.IsDense || parameters.Length != input.Features.Length + 1)
        {
            throw new InvalidOperationException(
                $"The saved GradientDescent model holds {input.Parameters.Length} parameters, which does not fit {input.Features.Length} features " +
                "(it needs one weight per feature plus the bias). The model file does not match this data.");
        }

        output.Score = LinearScorer.Score(input.Features, parameters[..^1], parameters[^1]);
    };

    /// <summary>The columns the score is computed from.</summary>
    public sealed class ScoringInput
    {
        /// <summary>The features, concatenated into one vector.</summary>
        [ColumnName(SavedModelCarrier.FeaturesColumn)]
        public VBuffer<float> Features;

        /// <summary>The weights followed by the bias.</summary>
        [ColumnName(SavedModelCarrier.ParametersColumn)]
        public VBuffer<float> Parameters;
    }

    /// <summary>The score column.</summary>
    public sealed class ScoreOutput
    {
        /// <summary>The predicted value.</summary>
        public float Score;
    }
}
