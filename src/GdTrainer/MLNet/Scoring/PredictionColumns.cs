namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The output columns a task's transformer appends to its input (<c>Score</c> for regression; <c>PredictedLabel</c>, <c>Score</c>,
/// <c>Probability</c> for binary classification; <c>PredictedLabel</c>, <c>Score</c> for multiclass), their types and annotations,
/// and how each value is computed from the model's outputs of the current row (<see cref="RowScorer"/>). Immutable and shared.
/// </summary>
internal abstract class PredictionColumns
{
    /// <summary>The name of the score column every task produces.</summary>
    internal const string ScoreColumnName = "Score";

    /// <summary>The name of the predicted-label column of the classification tasks.</summary>
    internal const string PredictedLabelColumnName = "PredictedLabel";

    /// <summary>The name of the probability column of binary classification.</summary>
    internal const string ProbabilityColumnName = "Probability";

    /// <summary>The number of model outputs the columns are computed from.</summary>
    internal abstract int ModelOutputs { get; }

    /// <summary>The number of columns appended.</summary>
    internal abstract int Count { get; }

    /// <summary>
    /// The training label's annotations whose <c>KeyValues</c> the columns carry (multiclass), or null: the saved carrier maps the
    /// predicted class back to those values.
    /// </summary>
    internal virtual DataViewSchema.Annotations? LabelAnnotations => null;

    /// <summary>Appends the columns, with their annotations, for a transform of <paramref name="input"/>.</summary>
    internal abstract void AddColumns(DataViewSchema.Builder builder, DataViewSchema input);

    /// <summary>The getter of appended column <paramref name="column"/> (0-based among the appended ones), reading <paramref name="scorer"/>.</summary>
    internal abstract Delegate CreateGetter(int column, RowScorer scorer);

    /// <summary>
    /// The value of the <c>ScoreColumnSetId</c> annotation ML.NET's scorers put on their columns: one more than the largest
    /// set id already in <paramref name="input"/>, so that the columns of one scoring step are told apart from earlier ones.
    /// </summary>
    internal static uint NextScoreColumnSetId(DataViewSchema input)
    {
        uint largest = 0;
        foreach (DataViewSchema.Column column in input)
        {
            DataViewSchema.Column? annotation = column.Annotations.Schema.GetColumnOrNull(ScoreAnnotations.ScoreColumnSetId);
            if (annotation is { Type: KeyDataViewType { RawType: var raw } } && raw == typeof(uint))
            {
                uint value = 0;
                column.Annotations.GetValue(ScoreAnnotations.ScoreColumnSetId, ref value);
                largest = Math.Max(largest, value);
            }
        }

        return largest + 1;
    }
}
