namespace GdTrainer.MLNet;

using System.Diagnostics.CodeAnalysis;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

/// <summary>
/// Replaces, in a model returned by <c>mlContext.Model.Load</c>, every carrier chain written by
/// <see cref="SavedModelCarrier"/> with the transformer it stands for (<see cref="GradientDescentRegressionTransformer"/>,
/// <see cref="GradientDescentBinaryTransformer"/> or <see cref="GradientDescentMulticlassTransformer"/>),
/// so that the loaded model scores at the in-memory speed. Public ML.NET API only: a carrier is recognised by
/// the types of its transformers (two of them are custom mappings of our own factories; the version-2 carrier may add
/// <c>CopyColumns</c> stashes around them, see <see cref="ProtectedColumns"/>) and by the columns they produce, and its model
/// is read by running only its <c>MapValue</c> transformer on a one-column view of the key. Which task wrote a version-2 carrier,
/// and how its transformer is rebuilt, the tasks say themselves (<see cref="ISavedTaskForm"/>). Anything not recognised is
/// returned unchanged.
/// </summary>
internal static class SavedModelRestorer
{
    private static readonly TransformerScope[] s_scopeFlags = [TransformerScope.Training, TransformerScope.Testing, TransformerScope.Scoring];

    /// <summary>
    /// Returns <paramref name="model"/> with each carrier replaced, searching nested
    /// <see cref="TransformerChain{TLastTransformer}"/>s; the same instance if nothing was replaced.
    /// </summary>
    internal static ITransformer Restore(MLContext mlContext, ITransformer model)
    {
        if (model is not TransformerChain<ITransformer> chain)
        {
            return model;
        }

        ITransformer[] elements = [.. chain];
        if (TryRestoreCarrier(mlContext, elements, out ITransformer? restored))
        {
            return restored;
        }

        var rebuilt = new ITransformer[elements.Length];
        bool changed = false;
        for (int i = 0; i < elements.Length; i++)
        {
            rebuilt[i] = Restore(mlContext, elements[i]);
            changed |= !ReferenceEquals(rebuilt[i], elements[i]);
        }

        return changed ? new TransformerChain<ITransformer>(rebuilt, ScopesOf(chain, elements)) : model;
    }

    /// <summary>
    /// The scope of each element of <paramref name="chain"/>. ML.NET does not expose them directly, but
    /// <see cref="TransformerChain{TLastTransformer}.GetModelFor"/> keeps, in order, the elements whose scope has
    /// the given flag, so asking once per flag and matching the instances recovers each element's flags. (If one
    /// instance appeared twice in a chain, its flags would be matched to the occurrences in order.)
    /// </summary>
    private static TransformerScope[] ScopesOf(TransformerChain<ITransformer> chain, ITransformer[] elements)
    {
        var scopes = new TransformerScope[elements.Length];
        foreach (TransformerScope flag in s_scopeFlags)
        {
            int position = 0;
            foreach (ITransformer kept in chain.GetModelFor(flag))
            {
                while (!ReferenceEquals(elements[position], kept))
                {
                    position++;
                }

                scopes[position] |= flag;
                position++;
            }
        }

        return scopes;
    }

    /// <summary>Rebuilds the transformer if <paramref name="elements"/> are a carrier chain whose stored description is readable.</summary>
    private static bool TryRestoreCarrier(MLContext mlContext, ITransformer[] elements, [NotNullWhen(true)] out ITransformer? restored)
    {
        if (TryRestoreVersion2(mlContext, elements, out restored))
        {
            return true;
        }

        bool version1 = TryRestoreVersion1(mlContext, elements, out GradientDescentRegressionTransformer? linear);
        restored = linear;
        return version1;
    }

    /// <summary>
    /// Rebuilds the transformer from a version-2 carrier of any task: <c>[Concatenate, ModelKey mapping, record map, the task's scoring
    /// transformers..., DropColumns]</c>, whose model record is decoded and verified (a damaged one throws). A carrier that keeps user
    /// columns named like its helpers (<see cref="ProtectedColumns"/>) has one <c>CopyColumns</c> per such column before that and, after
    /// it, one <c>CopyColumns</c> per column and a <c>DropColumns</c> of the stashes; the rebuilt transformer keeps the same stashes for
    /// its next save. The task whose scoring transformers the carrier holds (<see cref="ISavedTaskForm.IsScoringOf"/>) must be the
    /// task of the record, and rebuilds its transformer (<see cref="ISavedTaskForm.Restore"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">The carrier's model record is damaged, or its task does not fit the chain.</exception>
    private static bool TryRestoreVersion2(MLContext mlContext, ITransformer[] elements, [NotNullWhen(true)] out ITransformer? restored)
    {
        restored = null;
        int stashCount = 0;
        while (stashCount < elements.Length && elements[stashCount] is ColumnCopyingTransformer)
        {
            stashCount++;
        }

        ITransformer[] carrier = elements;
        if (stashCount > 0)
        {
            // [stash copies..., the carrier..., copies back..., DropColumns of the stashes]
            if (elements.Length < (2 * stashCount) + 1 || elements[^1] is not ColumnSelectingTransformer
                || !elements[^(stashCount + 1)..^1].All(e => e is ColumnCopyingTransformer))
            {
                return false;
            }

            carrier = elements[stashCount..^(stashCount + 1)];
        }

        if (carrier is not [
            ColumnConcatenatingTransformer concatenate,
            CustomMappingTransformer<ModelKeyFactory.NoInput, ModelKeyFactory.KeyOutput>,
            ITransformer recordMap,
            .. var scoring,
            ColumnSelectingTransformer])
        {
            return false;
        }

        ISavedTaskForm? task = PredictionTasks.All.OfType<ISavedTaskForm>().FirstOrDefault(t => t.IsScoringOf(scoring));
        if (task is null)
        {
            return false;
        }

        ModelPayload payload = ReadPayload(mlContext, recordMap);
        GradientDescentModelParameters model = payload.Model;
        int featureCount = model.FeatureCount;
        if (payload.Kind != task.Kind || !task.FitsOutputCount(model.OutputCount)
            || !ConcatenatesInto(concatenate, SavedModelCarrier.FeaturesColumnV2, payload.FeatureColumnName, payload.FeatureColumnType, featureCount))
        {
            throw new InvalidDataException(
                $"The GdTrainer model stored in this model file does not fit its chain: a {payload.Kind} record with {featureCount} features and {model.OutputCount} outputs behind a {task.Kind} scorer. Save the model again.");
        }

        if (!TryReadStashes(elements, stashCount, payload.FeatureColumnName, payload.FeatureColumnType, task.HelperColumns, out ProtectedColumns? protectedColumns, out DataViewSchema? output))
        {
            return false; // Not what Build writes: keep the carrier as it is.
        }

        restored = task.Restore(model, payload.FeatureColumnName, payload.FeatureColumnType, scoring, output, protectedColumns);
        return true;
    }

    /// <summary>
    /// Reads which user columns the carrier stashes, and checks that it gives each back. ML.NET does not expose a <c>CopyColumns</c>
    /// transformer's columns, so the carrier is run on a schema probe: the feature column with its type and every helper column of the
    /// task with a type of its own (a vector of Double of a distinct size), so that each stash column is matched to its source by type.
    /// False if a stash copy reads anything else, or a stashed column does not come out of the carrier with its type.
    /// </summary>
    /// <param name="elements">The carrier's transformers.</param>
    /// <param name="stashCount">The number of its leading <c>CopyColumns</c> transformers, each stashing one column.</param>
    /// <param name="featureColumnName">The feature column from the model record.</param>
    /// <param name="featureColumnType">Its type.</param>
    /// <param name="helpers">The helper columns of the carrier's task.</param>
    /// <param name="protectedColumns">The stashes found.</param>
    /// <param name="output">The carrier's output schema for the probe (the multiclass key values are read from it).</param>
    private static bool TryReadStashes(ITransformer[] elements, int stashCount, string featureColumnName, DataViewType featureColumnType,
        IReadOnlyList<string> helpers, [NotNullWhen(true)] out ProtectedColumns? protectedColumns, [NotNullWhen(true)] out DataViewSchema? output)
    {
        protectedColumns = null;
        output = null;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(featureColumnName, featureColumnType);
        var probeTypes = new Dictionary<string, DataViewType>(StringComparer.Ordinal) { [featureColumnName] = featureColumnType };
        for (int i = 0; i < helpers.Count; i++)
        {
            if (helpers[i] != featureColumnName)
            {
                probeTypes[helpers[i]] = new VectorDataViewType(NumberDataViewType.Double, 1000 + i);
                builder.AddColumn(helpers[i], probeTypes[helpers[i]]);
            }
        }

        DataViewSchema probe = builder.ToSchema();
        var stashes = new List<ProtectedColumns.Stash>();
        for (int i = 0; i < stashCount; i++)
        {
            DataViewSchema? stashed = TryGetOutputSchema(elements[i], probe);
            if (stashed is null || stashed.Count != probe.Count + 1)
            {
                return false;
            }

            DataViewSchema.Column copy = stashed[probe.Count];
            string? source = null;
            foreach (KeyValuePair<string, DataViewType> probed in probeTypes)
            {
                source = probed.Value.Equals(copy.Type) ? probed.Key : source;
            }

            if (source is null || probeTypes.ContainsKey(copy.Name))
            {
                return false;
            }

            stashes.Add(new ProtectedColumns.Stash(source, copy.Name));
        }

        DataViewSchema? schema = probe;
        foreach (ITransformer element in elements)
        {
            schema = schema is null ? null : TryGetOutputSchema(element, schema);
        }

        if (schema is null)
        {
            return false;
        }

        foreach (ProtectedColumns.Stash kept in stashes)
        {
            if (schema.GetColumnOrNull(kept.Column)?.Type is not { } type || !type.Equals(probeTypes[kept.Column]) || schema.GetColumnOrNull(kept.StashColumn) is not null)
            {
                return false;
            }
        }

        protectedColumns = ProtectedColumns.FromStashes(stashes);
        output = schema;
        return true;
    }

    /// <summary>Reads and decodes the model record by running the carrier's record map on a one-row view of the key.</summary>
    /// <exception cref="InvalidDataException">The record is missing or damaged.</exception>
    private static ModelPayload ReadPayload(MLContext mlContext, ITransformer recordMap)
    {
        IDataView keys = mlContext.Data.LoadFromEnumerable([new KeyRowV2 { Key = SavedModelCarrier.ModelKey }]);
        DataViewSchema.Column? mapped = TryGetOutputSchema(recordMap, keys.Schema)?.GetColumnOrNull(SavedModelCarrier.ModelColumnV2);
        if (mapped is not { Type: TextDataViewType })
        {
            throw new InvalidDataException("The GdTrainer model stored in this model file is damaged: its model record column is missing or not text. Save the model again.");
        }

        ReadOnlyMemory<char> text = default;
        using (DataViewRowCursor cursor = recordMap.Transform(keys).GetRowCursor([mapped.Value]))
        {
            ValueGetter<ReadOnlyMemory<char>> getter = cursor.GetGetter<ReadOnlyMemory<char>>(mapped.Value);
            if (!cursor.MoveNext())
            {
                throw new InvalidDataException("The GdTrainer model stored in this model file is damaged: its model record is missing. Save the model again.");
            }

            getter(ref text);
        }

        return ModelPayload.Decode(text.Span);
    }

    /// <summary>Rebuilds the transformer from a version-1 (first release) linear carrier, when its stored description is readable.</summary>
    private static bool TryRestoreVersion1(MLContext mlContext, ITransformer[] elements, [NotNullWhen(true)] out GradientDescentRegressionTransformer? restored)
    {
        restored = null;
        if (elements is not [
            ColumnConcatenatingTransformer concatenate,
            CustomMappingTransformer<LinearScoreModelKeyFactory.NoInput, LinearScoreModelKeyFactory.KeyOutput>,
            ITransformer parameterMap,
            CustomMappingTransformer<LinearScoreFactory.ScoringInput, LinearScoreFactory.ScoreOutput>,
            ColumnSelectingTransformer])
        {
            return false;
        }

        IDataView keys = mlContext.Data.LoadFromEnumerable(
            [new KeyRow { Key = SavedModelCarrier.ModelKey }, new KeyRow { Key = SavedModelCarrier.DescriptionKey }, new KeyRow { Key = SavedModelCarrier.LossHistoryKey }]);
        DataViewSchema.Column? mapped = TryGetOutputSchema(parameterMap, keys.Schema)?.GetColumnOrNull(SavedModelCarrier.ParametersColumn);
        if (mapped is not { Type: VectorDataViewType { ItemType: var itemType } } || itemType != NumberDataViewType.Single)
        {
            return false;
        }

        float[][] values = ReadVectors(parameterMap.Transform(keys), mapped.Value.Name, rows: 3);
        if (!SavedModelCarrier.TryReadFeatureColumn(values[1], out string? featureColumnName, out DataViewType? featureColumnType))
        {
            return false; // Saved before descriptions were stored: keep the carrier, which scores correctly.
        }

        int featureCount = featureColumnType is VectorDataViewType vector ? vector.Size : 1;
        float[] parameters = values[0];
        if (parameters.Length != featureCount + 1 || !AllFinite(parameters) || !ConcatenatesInto(concatenate, SavedModelCarrier.FeaturesColumn, featureColumnName, featureColumnType, featureCount))
        {
            return false; // Not what Build writes: keep the carrier, whose scoring reports a mismatch itself.
        }

        var model = new GradientDescentModelParameters(parameters.AsSpan(0, featureCount), parameters[featureCount], values[2]);
        restored = new GradientDescentRegressionTransformer(model, featureColumnName, featureColumnType);
        return true;
    }

    /// <summary>Whether the carrier's first transformer turns the described feature column into the features vector the parameters fit.</summary>
    private static bool ConcatenatesInto(ITransformer concatenate, string concatenatedColumn, string featureColumnName, DataViewType featureColumnType, int featureCount)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(featureColumnName, featureColumnType);
        DataViewSchema? output = TryGetOutputSchema(concatenate, builder.ToSchema());
        return output?.GetColumnOrNull(concatenatedColumn)?.Type is VectorDataViewType { Size: var size } && size == featureCount;
    }

    /// <summary>The transformer's output schema, or null if it rejects <paramref name="input"/> (ML.NET reports a missing or mistyped column with an <see cref="ArgumentException"/>).</summary>
    private static DataViewSchema? TryGetOutputSchema(ITransformer transformer, DataViewSchema input)
    {
        try
        {
            return transformer.GetOutputSchema(input);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static bool AllFinite(float[] values)
    {
        foreach (float value in values)
        {
            if (!float.IsFinite(value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The dense values of a vector column, one array per row.</summary>
    private static float[][] ReadVectors(IDataView data, string columnName, int rows)
    {
        DataViewSchema.Column column = data.Schema[columnName];
        var values = new float[rows][];
        using DataViewRowCursor cursor = data.GetRowCursor([column]);
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> buffer = default;
        for (int row = 0; row < rows; row++)
        {
            if (!cursor.MoveNext())
            {
                throw new InvalidOperationException($"Reading the saved GradientDescent model stopped at row {row} of {rows}.");
            }

            getter(ref buffer);
            values[row] = [.. buffer.DenseValues()];
        }

        return values;
    }

    /// <summary>A row of the view the version-2 record map is run on.</summary>
    private sealed class KeyRowV2
    {
        [ColumnName(SavedModelCarrier.KeyColumnV2)]
        public float Key;
    }

    /// <summary>A row of the view the parameter map is run on.</summary>
    private sealed class KeyRow
    {
        [ColumnName(SavedModelCarrier.KeyColumn)]
        public float Key;
    }
}
