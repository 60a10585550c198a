namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The column layout of a scored view: the input columns keep their indices and the task's output columns
/// (<see cref="PredictionColumns"/>) are appended from index <c>input.Count</c> on. Immutable and shared by the views, cursors
/// and mappers built from it.
/// </summary>
internal sealed class ScoringSchema
{
    private ScoringSchema(DataViewSchema input, DataViewSchema output, DataViewSchema.Column feature, GradientDescentModelParameters model, PredictionColumns columns)
    {
        InputSchema = input;
        OutputSchema = output;
        FeatureColumn = feature;
        Model = model;
        Columns = columns;
        FirstOutputIndex = input.Count;
    }

    internal DataViewSchema InputSchema { get; }

    internal DataViewSchema OutputSchema { get; }

    internal DataViewSchema.Column FeatureColumn { get; }

    internal GradientDescentModelParameters Model { get; }

    internal PredictionColumns Columns { get; }

    /// <summary>The index of the first appended column in <see cref="OutputSchema"/>.</summary>
    internal int FirstOutputIndex { get; }

    /// <summary>Whether the column at <paramref name="index"/> of the output schema is one the model computes.</summary>
    internal bool IsOutput(int index) => index >= FirstOutputIndex;

    /// <exception cref="ArgumentException">The feature column is missing, of the wrong type, or of another size than the model's.</exception>
    internal static ScoringSchema Create(DataViewSchema input, string featureColumnName, GradientDescentModelParameters model, PredictionColumns columns)
    {
        (DataViewSchema.Column feature, int count) = ColumnChecks.CheckFeatures(input, featureColumnName, "inputSchema");
        if (count != model.FeatureCount)
        {
            throw new ArgumentOutOfRangeException("inputSchema",
                $"The feature column '{featureColumnName}' has {count} features, but the model was trained on {model.FeatureCount}.");
        }

        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        columns.AddColumns(builder, input);
        return new ScoringSchema(input, builder.ToSchema(), feature, model, columns);
    }

    /// <summary>The input columns a consumer of <paramref name="outputColumns"/> needs.</summary>
    internal IEnumerable<DataViewSchema.Column> InputColumnsFor(IEnumerable<DataViewSchema.Column> outputColumns)
    {
        var needed = new HashSet<int>();
        foreach (DataViewSchema.Column column in outputColumns)
        {
            needed.Add(IsOutput(column.Index) ? FeatureColumn.Index : column.Index);
        }

        return needed.Select(i => InputSchema[i]);
    }
}
