namespace GdTrainer.MLNet;

using System.Diagnostics.CodeAnalysis;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// Builds the chain of built-in ML.NET transformers that stands in for a GdTrainer transformer in a saved model file (ML.NET
/// lets third-party transformers save only through built-in ones). Model format version 2:
/// <list type="number">
/// <item>Concatenate the feature column into <c>__GdTrainer_v2_Features</c> (a vector, also for a scalar feature);</item>
/// <item>a custom mapping (<see cref="ModelKeyFactory"/>) writes the constant key <c>__GdTrainer_v2_ModelKey</c>;</item>
/// <item><c>MapValue</c> maps that key to the text column <c>__GdTrainer_v2_Model</c>: the checksummed model record
/// (<see cref="ModelPayload"/>: the module, its standardisation, the feature column, the history), stored in the model file;</item>
/// <item>the task's scoring steps (<see cref="ISavedTaskForm.ScoringSteps"/>: a custom mapping such as <see cref="RegressionScoreFactory"/>)
/// compute the output columns from the features and that record, which they decode and verify once (<see cref="PayloadCache"/>): no
/// row copies the parameters;</item>
/// <item>the helper columns are dropped.</item>
/// </list>
/// A user column named like a helper column (known from the schema the model was fitted on, or the feature column itself; see
/// <see cref="ProtectedColumns"/>) would be dropped with it, so each such column is first copied to a stash column (one <c>CopyColumns</c>
/// per column, before the concatenation) and copied back after the helpers are dropped (one <c>CopyColumns</c> per column, then one
/// <c>DropColumns</c> of the stashes), which moves it after the output columns. The chain holds these extra transforms only when a
/// column collides.
/// <para>
/// Version 1 (the first release: the same chain with <c>__GdTrainer_*</c> columns, <see cref="LinearScoreModelKeyFactory"/>, a
/// float-vector map holding <c>[w..., b]</c>, the feature column description and the loss history, and <see cref="LinearScoreFactory"/>)
/// is no longer written; files holding it still load and score as before, and <see cref="SavedModelRestorer"/> reads them.
/// </para>
/// </summary>
internal static class SavedModelCarrier
{
    internal const string FeaturesColumn = "__GdTrainer_Features";
    internal const string KeyColumn = "__GdTrainer_ModelKey";
    internal const string ParametersColumn = "__GdTrainer_Parameters";
    internal const string FeaturesColumnV2 = "__GdTrainer_v2_Features";
    internal const string KeyColumnV2 = "__GdTrainer_v2_ModelKey";
    internal const string ModelColumnV2 = "__GdTrainer_v2_Model";
    internal const float ModelKey = 1f;
    internal const float DescriptionKey = 2f;
    internal const float LossHistoryKey = 3f;

    /// <summary>The helper columns every task's version-2 carrier writes and drops (a task's scoring steps may add their own).</summary>
    internal static IReadOnlyList<string> HelperColumnsV2 { get; } = [FeaturesColumnV2, KeyColumnV2, ModelColumnV2];

    /// <summary>Builds the version-2 carrier of a model whose transformer appends <paramref name="columns"/>.</summary>
    /// <param name="task">The task of the transformer: its scoring steps and helper columns.</param>
    /// <param name="model">The model to store.</param>
    /// <param name="featureColumnName">The feature column the carrier reads.</param>
    /// <param name="featureColumnType">Its type.</param>
    /// <param name="columns">The output columns of the task.</param>
    /// <param name="protectedColumns">The input columns known to the transformer, of which those named like a helper column are stashed and restored.</param>
    /// <exception cref="NotSupportedException">The model holds a module type the save format cannot describe; the message names it.</exception>
    internal static ITransformer Build(ISavedTaskForm task, GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType, PredictionColumns columns, ProtectedColumns protectedColumns)
    {
        string record = new ModelPayload(task.Kind, featureColumnName, featureColumnType, model).Encode();
        var mlContext = new MLContext(seed: 0);
        IReadOnlyList<string> helpers = task.HelperColumns;
        IReadOnlyList<ProtectedColumns.Stash> stashes = protectedColumns.Plan(featureColumnName, helpers);
        // One flat chain (an estimator appended to a chain through IEstimator.Append would nest it): the restorer matches its elements.
        // Each step fits its transformer on the view the steps before it produce (as EstimatorChain.Fit would), so that a step can
        // also be a transformer fitted on data of its own (the multiclass class-slot selection).
        var steps = new List<Func<IDataView, ITransformer>>();
        foreach (ProtectedColumns.Stash stash in stashes)
        {
            steps.Add(mlContext.Transforms.CopyColumns(stash.StashColumn, stash.Column).Fit);
        }

        steps.Add(mlContext.Transforms.Concatenate(FeaturesColumnV2, featureColumnName).Fit);
        steps.Add(mlContext.Transforms.CustomMapping(new ModelKeyFactory().GetMapping(), ModelKeyFactory.ContractName).Fit);
        steps.Add(mlContext.Transforms.Conversion.MapValue(ModelColumnV2, [new KeyValuePair<float, string>(ModelKey, record)], KeyColumnV2).Fit);
        steps.AddRange(task.ScoringSteps(mlContext, columns));
        steps.Add(mlContext.Transforms.DropColumns([.. helpers]).Fit);
        foreach (ProtectedColumns.Stash stash in stashes)
        {
            steps.Add(mlContext.Transforms.CopyColumns(stash.Column, stash.StashColumn).Fit);
        }

        if (stashes.Count > 0)
        {
            steps.Add(mlContext.Transforms.DropColumns([.. stashes.Select(s => s.StashColumn)]).Fit);
        }

        IDataView view = EmptyView(mlContext, featureColumnName, featureColumnType);
        // The chain is fitted on an empty view of the feature column plus each stashed column (of the feature type: copies store names only).
        foreach (ProtectedColumns.Stash stash in stashes)
        {
            if (stash.Column != featureColumnName)
            {
                view = mlContext.Transforms.CopyColumns(stash.Column, featureColumnName).Fit(view).Transform(view);
            }
        }

        var transformers = new ITransformer[steps.Count];
        for (int i = 0; i < transformers.Length; i++)
        {
            transformers[i] = steps[i](view);
            view = transformers[i].Transform(view);
        }

        return new TransformerChain<ITransformer>(transformers);
    }

    /// <summary>Encodes the feature column as stored under <see cref="DescriptionKey"/>: <c>[k, n_1, ..., n_k, name code units...]</c>.</summary>
    internal static float[] DescribeFeatureColumn(string featureColumnName, DataViewType featureColumnType)
    {
        ReadOnlySpan<int> dimensions = featureColumnType is VectorDataViewType vector ? vector.Dimensions.AsSpan() : [];
        var description = new float[1 + dimensions.Length + featureColumnName.Length];
        description[0] = dimensions.Length;
        for (int i = 0; i < dimensions.Length; i++)
        {
            description[1 + i] = dimensions[i];
        }

        for (int i = 0; i < featureColumnName.Length; i++)
        {
            description[1 + dimensions.Length + i] = featureColumnName[i];
        }

        return description;
    }

    /// <summary>
    /// Decodes what <see cref="DescribeFeatureColumn"/> wrote; false if <paramref name="description"/> is not
    /// such an encoding (for example a file saved before descriptions were stored).
    /// </summary>
    internal static bool TryReadFeatureColumn(ReadOnlySpan<float> description, [NotNullWhen(true)] out string? featureColumnName, [NotNullWhen(true)] out DataViewType? featureColumnType)
    {
        featureColumnName = null;
        featureColumnType = null;
        if (description.IsEmpty || !IsCount(description[0], 8) || description.Length <= 1 + (int)description[0])
        {
            return false;
        }

        int rank = (int)description[0];
        var dimensions = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            if (!IsCount(description[1 + i], 1 << 24) || description[1 + i] == 0f)
            {
                return false;
            }

            dimensions[i] = (int)description[1 + i];
        }

        ReadOnlySpan<float> codes = description[(1 + rank)..];
        var name = new char[codes.Length];
        for (int i = 0; i < codes.Length; i++)
        {
            if (!IsCount(codes[i], char.MaxValue))
            {
                return false;
            }

            name[i] = (char)codes[i];
        }

        featureColumnName = new string(name);
        featureColumnType = rank == 0 ? NumberDataViewType.Single : new VectorDataViewType(NumberDataViewType.Single, dimensions);
        return true;
    }

    /// <summary>Whether <paramref name="value"/> is a whole number in [0, <paramref name="maximum"/>].</summary>
    private static bool IsCount(float value, int maximum) => value >= 0f && value <= maximum && value == MathF.Floor(value);

    /// <summary>An empty data view whose only column is the feature column, to fit the chain against.</summary>
    private static IDataView EmptyView(MLContext mlContext, string featureColumnName, DataViewType featureColumnType)
    {
        if (featureColumnType is VectorDataViewType)
        {
            SchemaDefinition vectorDefinition = SchemaDefinition.Create(typeof(VectorRow));
            vectorDefinition[0].ColumnName = featureColumnName;
            vectorDefinition[0].ColumnType = featureColumnType;
            return mlContext.Data.LoadFromEnumerable(Array.Empty<VectorRow>(), vectorDefinition);
        }

        SchemaDefinition scalarDefinition = SchemaDefinition.Create(typeof(ScalarRow));
        scalarDefinition[0].ColumnName = featureColumnName;
        return mlContext.Data.LoadFromEnumerable(Array.Empty<ScalarRow>(), scalarDefinition);
    }

    private sealed class VectorRow
    {
        public float[] Features = [];
    }

    private sealed class ScalarRow
    {
        public float Features = 0f;
    }
}
