namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The column layout of a scored view: the input columns keep their indices and <c>Score</c> is appended
/// at index <c>input.Count</c>. Immutable and shared by the views, cursors and mappers built from it.
/// </summary>
internal sealed class ScoringSchema
{
    private ScoringSchema(DataViewSchema input, DataViewSchema output, DataViewSchema.Column feature, GradientDescentModelParameters model)
    {
        InputSchema = input;
        OutputSchema = output;
        FeatureColumn = feature;
        Model = model;
        ScoreIndex = input.Count;
    }

    internal DataViewSchema InputSchema { get; }

    internal DataViewSchema OutputSchema { get; }

    internal DataViewSchema.Column FeatureColumn { get; }

    internal GradientDescentModelParameters Model { get; }

    internal int ScoreIndex { get; }

    internal bool IsScalarFeature => FeatureColumn.Type is not VectorDataViewType;

    internal static ScoringSchema Create(DataViewSchema input, GradientDescentRegressionTransformer transformer)
    {
        (DataViewSchema.Column feature, int count) = ColumnChecks.CheckFeatures(input, transformer.FeatureColumnName, "inputSchema");
        if (count != transformer.Model.FeatureCount)
        {
            throw new ArgumentOutOfRangeException("inputSchema",
                $"The feature column '{transformer.FeatureColumnName}' has {count} features, but the model was trained on {transformer.Model.FeatureCount}.");
        }

        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(GradientDescentRegressionTransformer.ScoreColumnName, NumberDataViewType.Single);
        return new ScoringSchema(input, builder.ToSchema(), feature, transformer.Model);
    }

    /// <summary>The input columns a consumer of <paramref name="outputColumns"/> needs.</summary>
    internal IEnumerable<DataViewSchema.Column> InputColumnsFor(IEnumerable<DataViewSchema.Column> outputColumns)
    {
        var needed = new HashSet<int>();
        foreach (DataViewSchema.Column column in outputColumns)
        {
            needed.Add(column.Index == ScoreIndex ? FeatureColumn.Index : column.Index);
        }

        return needed.Select(i => InputSchema[i]);
    }

    /// <summary>A getter of the score of <paramref name="input"/>'s current row, with its own buffers (one per row or cursor, never shared).</summary>
    internal ValueGetter<float> CreateScoreGetter(DataViewRow input)
    {
        GradientDescentModelParameters model = Model;
        var output = new float[model.OutputCount];
        if (IsScalarFeature)
        {
            ValueGetter<float> scalarGetter = input.GetGetter<float>(FeatureColumn);
            var row = new float[1];
            return (ref float value) =>
            {
                scalarGetter(ref row[0]);
                model.Score(row, output);
                value = output[0];
            };
        }

        ValueGetter<VBuffer<float>> vectorGetter = input.GetGetter<VBuffer<float>>(FeatureColumn);
        VBuffer<float> features = default;
        return (ref float value) =>
        {
            vectorGetter(ref features);
            ModelScoring.Score(model, features, output);
            value = output[0];
        };
    }
}
