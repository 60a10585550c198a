namespace GdTrainer.MLNet;

using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

/// <summary>
/// Part of the saved form of <see cref="GradientDescentMulticlassTransformer"/> (model format version 2, written since the carrier
/// gives <c>Score</c> its class count): computes the class probabilities and the predicted class (its 1-based index) from the
/// features and the saved model record, with the same code as the in-memory transformer, like <see cref="MulticlassScoreFactory"/>,
/// but declares the probabilities a vector of the fixed size <see cref="DeclaredSize"/>, written sparse with the first k slots
/// (the classes) present. A custom mapping's vector size is fixed when it is compiled, so the carrier follows it with a built-in
/// <c>SlotsDroppingTransformer</c> that drops slots k to <see cref="DeclaredSize"/> - 1 and turns it into <c>Score</c>, a vector
/// of size k after plain <c>mlContext.Model.Load</c> too (see <see cref="MulticlassCarrier"/>). The record is decoded and verified
/// once; a damaged record stops scoring with an <see cref="InvalidDataException"/>. ML.NET finds this factory by its contract name
/// when a model file is loaded; user code does not need it. Safe for concurrent scoring (each output object has its own buffers,
/// and ML.NET calls a mapping from one cursor).
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class MulticlassSizedScoreFactory : CustomMappingFactory<RegressionScoreFactory.ScoringInput, MulticlassSizedScoreFactory.SizedOutput>
{
    /// <summary>The contract name stored in model files.</summary>
    public const string ContractName = "GdTrainer.Multiclass.SizedScore.v2";

    /// <summary>
    /// The declared size of the probability vector (65,536): models with fewer classes are saved with this factory. The vector is
    /// sparse, so a row costs the class count, not this size; the carrier's slot selection counts over this many slots once per save.
    /// </summary>
    public const int DeclaredSize = 1 << 16;

    /// <summary>Scores one row.</summary>
    public override Action<RegressionScoreFactory.ScoringInput, SizedOutput> GetMapping()
    {
        var cache = new PayloadCache();
        return (input, output) =>
        {
            GradientDescentModelParameters model = cache.Get(input.Model).Model;
            int classes = model.OutputCount;
            if (classes >= DeclaredSize)
            {
                throw new InvalidDataException($"The GdTrainer model stored in this model file has {classes} classes, more than its sized score column holds ({DeclaredSize - 1}). Save the model again.");
            }

            // The editor reuses the output's arrays (ML.NET reuses the output object for the following rows): no allocation per row.
            VBufferEditor<float> editor = VBufferEditor.Create(ref output.Scores, DeclaredSize, classes, requireIndicesOnDense: true);
            Span<float> logits = editor.Values;
            ModelScoring.Score(model, input.Features, logits);
            output.PredictedIndex = MulticlassColumns.PredictedKey(logits);
            MulticlassColumns.Softmax(logits, logits);
            Span<int> indices = editor.Indices;
            for (int i = 0; i < indices.Length; i++)
            {
                indices[i] = i;
            }

            output.Scores = editor.Commit();
        };
    }

    /// <summary>The columns the carrier turns into <c>Score</c> and <c>PredictedLabel</c>.</summary>
    public sealed class SizedOutput
    {
        /// <summary>The class probabilities in the first slots of a sparse vector of <see cref="DeclaredSize"/> slots.</summary>
        [ColumnName(MulticlassCarrier.ScoresColumn)]
        [VectorType(DeclaredSize)]
        public VBuffer<float> Scores;

        /// <summary>The predicted class as a 1-based index (0 when the scores are NaN).</summary>
        [ColumnName(MulticlassCarrier.IndexColumn)]
        public uint PredictedIndex;
    }
}
