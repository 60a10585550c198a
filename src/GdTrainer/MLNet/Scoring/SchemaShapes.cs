namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// Builds <see cref="SchemaShape"/> columns, whose constructor ML.NET keeps internal. The public
/// detour: a data loader that only reports a <see cref="DataViewSchema"/>, followed by an empty
/// estimator chain, whose <c>GetOutputSchema()</c> turns that schema into a <see cref="SchemaShape"/>.
/// </summary>
internal static class SchemaShapes
{
    private static readonly Lazy<SchemaShape.Column> s_score = new(() => ShapeOf(ScoreOnlySchema())[0]);

    /// <summary>The shape of the <c>Score</c> column (a Single scalar) that the trainer adds.</summary>
    internal static SchemaShape.Column Score => s_score.Value;

    /// <summary>The schema holding only the <c>Score</c> column.</summary>
    internal static DataViewSchema ScoreOnlySchema()
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(GradientDescentRegressionTransformer.ScoreColumnName, NumberDataViewType.Single);
        return builder.ToSchema();
    }

    /// <summary>The shapes of the columns <paramref name="columns"/> appends (with their annotations).</summary>
    internal static SchemaShape.Column[] ShapesOf(PredictionColumns columns)
    {
        var builder = new DataViewSchema.Builder();
        columns.AddColumns(builder, new DataViewSchema.Builder().ToSchema());
        return [.. ShapeOf(builder.ToSchema())];
    }

    /// <summary><paramref name="input"/> with <paramref name="added"/> appended, each replacing a column of the same name.</summary>
    internal static SchemaShape Append(SchemaShape input, IReadOnlyList<SchemaShape.Column> added) =>
        new(input.Where(c => !added.Any(a => a.Name == c.Name)).Concat(added));

    /// <summary>Converts <paramref name="schema"/> into a <see cref="SchemaShape"/> through public API.</summary>
    internal static SchemaShape ShapeOf(DataViewSchema schema) =>
        new SchemaOnlyLoader(schema).Append(new EstimatorChain<ITransformer>()).GetOutputSchema();

    /// <summary><paramref name="input"/> with <paramref name="added"/> appended, replacing a column of the same name.</summary>
    internal static SchemaShape Append(SchemaShape input, SchemaShape.Column added) =>
        new(input.Where(c => c.Name != added.Name).Append(added));

    /// <summary>A loader that can only describe its output schema; the estimator chain never asks it to load or save.</summary>
    private sealed class SchemaOnlyLoader(DataViewSchema schema) : IDataLoader<int>
    {
        public DataViewSchema GetOutputSchema() => schema;

        public IDataView Load(int input) => throw new NotSupportedException("This loader only describes a schema.");

        void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException("This loader only describes a schema.");
    }
}
