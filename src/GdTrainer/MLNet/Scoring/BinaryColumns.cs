namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The binary classification transformer's columns, as ML.NET's calibrated binary trainers produce them (same order, types and
/// annotations): <c>PredictedLabel</c> (Boolean: <c>Probability &gt;= 0.5</c>, so a probability of exactly 0.5 is true and a NaN
/// one false), <c>Score</c> (Single: the raw logit) and <c>Probability</c> (Single: the logistic sigmoid of the logit, computed
/// without overflow: <c>1 / (1 + exp(-x))</c> for <c>x &gt;= 0</c>, <c>exp(x) / (1 + exp(x))</c> below).
/// </summary>
internal sealed class BinaryColumns : PredictionColumns
{
    internal static BinaryColumns Instance { get; } = new();

    internal override int ModelOutputs => 1;

    internal override int Count => 3;

    internal override void AddColumns(DataViewSchema.Builder builder, DataViewSchema input)
    {
        uint setId = NextScoreColumnSetId(input);
        builder.AddColumn(PredictedLabelColumnName, BooleanDataViewType.Instance,
            ScoreAnnotations.Builder(setId, ScoreAnnotations.BinaryClassification, PredictedLabelColumnName).ToAnnotations());
        builder.AddColumn(ScoreColumnName, NumberDataViewType.Single,
            ScoreAnnotations.Builder(setId, ScoreAnnotations.BinaryClassification, ScoreColumnName).ToAnnotations());
        DataViewSchema.Annotations.Builder probability = ScoreAnnotations.Builder(setId, ScoreAnnotations.BinaryClassification, ProbabilityColumnName);
        probability.Add(ScoreAnnotations.IsNormalized, BooleanDataViewType.Instance, (ref bool value) => value = true);
        builder.AddColumn(ProbabilityColumnName, NumberDataViewType.Single, probability.ToAnnotations());
    }

    internal override Delegate CreateGetter(int column, RowScorer scorer) => column switch
    {
        0 => (ValueGetter<bool>)((ref bool value) => value = Sigmoid(scorer.Outputs[0]) >= 0.5f),
        1 => (ValueGetter<float>)((ref float value) => value = scorer.Outputs[0]),
        _ => (ValueGetter<float>)((ref float value) => value = Sigmoid(scorer.Outputs[0])),
    };

    /// <summary>The logistic sigmoid, without overflow for any logit (NaN stays NaN).</summary>
    internal static float Sigmoid(float logit)
    {
        if (logit >= 0f)
        {
            return 1f / (1f + MathF.Exp(-logit));
        }

        float e = MathF.Exp(logit);
        return e / (1f + e);
    }
}
