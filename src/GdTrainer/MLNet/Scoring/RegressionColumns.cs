namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>The regression transformer's single Single <c>Score</c> column (no annotations, as before issue 10).</summary>
internal sealed class RegressionColumns : PredictionColumns
{
    internal static RegressionColumns Instance { get; } = new();

    internal override int ModelOutputs => 1;

    internal override int Count => 1;

    internal override void AddColumns(DataViewSchema.Builder builder, DataViewSchema input) =>
        builder.AddColumn(ScoreColumnName, NumberDataViewType.Single);

    internal override Delegate CreateGetter(int column, RowScorer scorer) =>
        (ValueGetter<float>)((ref float value) => value = scorer.Outputs[0]);
}
