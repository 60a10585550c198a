namespace GdTrainer.MLNet;

using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

/// <summary>
/// Part of the first saved form of <see cref="GradientDescentMulticlassTransformer"/> (model format version 2; now written only for
/// models of <see cref="MulticlassSizedScoreFactory.DeclaredSize"/> classes or more, and read from files saved before
/// <see cref="MulticlassSizedScoreFactory"/>, whose plain-loaded <c>Score</c> has an unknown size): computes the class
/// probabilities and the predicted class (its 1-based index) from the features and the saved model record, with the same code
/// as the in-memory transformer; built-in transforms after it restore the key type of <c>PredictedLabel</c> (see
/// <see cref="MulticlassCarrier"/>). The record is decoded and verified once; a damaged record stops scoring with an
/// <see cref="InvalidDataException"/>. ML.NET finds this factory by its contract name when a model file is loaded; user code does
/// not need it. Safe for concurrent scoring (each mapping has its own buffer, and ML.NET calls a mapping from one cursor).
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class MulticlassScoreFactory : CustomMappingFactory<RegressionScoreFactory.ScoringInput, MulticlassScoreFactory.MulticlassOutput>
{
    /// <summary>The contract name stored in model files.</summary>
    public const string ContractName = "GdTrainer.Multiclass.Score.v2";

    /// <summary>Scores one row.</summary>
    public override Action<RegressionScoreFactory.ScoringInput, MulticlassOutput> GetMapping()
    {
        var cache = new PayloadCache();
        return (input, output) =>
        {
            GradientDescentModelParameters model = cache.Get(input.Model).Model;
            int classes = model.OutputCount;
            if (output.Scores.Length != classes)
            {
                output.Scores = new float[classes]; // Once per output object: ML.NET reuses it for the following rows.
            }

            float[] logits = output.Scores;
            ModelScoring.Score(model, input.Features, logits);
            output.PredictedIndex = MulticlassColumns.PredictedKey(logits);
            MulticlassColumns.Softmax(logits, logits);
        };
    }

    /// <summary>The columns the carrier turns into <c>Score</c> and <c>PredictedLabel</c>.</summary>
    public sealed class MulticlassOutput
    {
        /// <summary>The class probabilities.</summary>
        [ColumnName(MulticlassCarrier.ScoresColumn)]
        public float[] Scores = [];

        /// <summary>The predicted class as a 1-based index (0 when the scores are NaN).</summary>
        [ColumnName(MulticlassCarrier.IndexColumn)]
        public uint PredictedIndex;
    }
}
