namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The schema rules of the trainer, for both <see cref="DataViewSchema"/> (Fit, Transform) and
/// <see cref="SchemaShape"/> (GetOutputSchema): the feature column is a known-size vector of Single
/// or a Single scalar, the label and the example weight are Single scalars. Errors name the column,
/// the type found and the type needed.
/// </summary>
internal static class ColumnChecks
{
    internal const string FeatureNeed = "a known-size vector of Single (float), such as Concatenate produces, or a Single scalar";
    internal const string SingleNeed = "Single (float)";

    /// <summary>Checks the feature column of a schema and returns its column and its number of features.</summary>
    internal static (DataViewSchema.Column Column, int FeatureCount) CheckFeatures(DataViewSchema schema, string name, string parameterName)
    {
        DataViewSchema.Column column = Find(schema, name, "feature", parameterName);
        if (column.Type is VectorDataViewType { ItemType: NumberDataViewType itemType, IsKnownSize: true } vector && itemType == NumberDataViewType.Single)
        {
            return (column, vector.Size);
        }

        if (column.Type == NumberDataViewType.Single)
        {
            return (column, 1);
        }

        throw Mismatch("feature", name, Describe(column.Type), FeatureNeed, parameterName,
            column.Type is VectorDataViewType { IsKnownSize: false }
                ? "A variable-size vector cannot be used: the model needs the same number of features in every row."
                : "Convert it with mlContext.Transforms.Conversion.ConvertType(...) or build it with mlContext.Transforms.Concatenate(...).");
    }

    /// <summary>Checks that a label or weight column exists and is a Single scalar.</summary>
    internal static DataViewSchema.Column CheckSingle(DataViewSchema schema, string name, string role, string parameterName)
    {
        DataViewSchema.Column column = Find(schema, name, role, parameterName);
        if (column.Type != NumberDataViewType.Single)
        {
            throw Mismatch(role, name, Describe(column.Type), SingleNeed, parameterName,
                "Convert it with mlContext.Transforms.Conversion.ConvertType(\"" + name + "\", outputKind: DataKind.Single).");
        }

        return column;
    }

    /// <summary>Checks that a binary label column exists and is Boolean; the error says how to convert another type.</summary>
    internal static DataViewSchema.Column CheckBoolean(DataViewSchema schema, string name, string parameterName)
    {
        DataViewSchema.Column column = Find(schema, name, "label", parameterName);
        if (column.Type != BooleanDataViewType.Instance)
        {
            throw Mismatch("label", name, Describe(column.Type), "Boolean for binary classification", parameterName, BooleanHint(name));
        }

        return column;
    }

    /// <summary>Checks that a multiclass label column exists and is a key type with a known number of keys (2 or more).</summary>
    internal static DataViewSchema.Column CheckKey(DataViewSchema schema, string name, string parameterName)
    {
        DataViewSchema.Column column = Find(schema, name, "label", parameterName);
        if (column.Type is not KeyDataViewType key)
        {
            throw Mismatch("label", name, Describe(column.Type), "a key type for multiclass classification", parameterName, KeyHint(name));
        }

        if (key.Count == 0)
        {
            throw new ArgumentException(
                $"The label column '{name}' is a key type with an unknown number of keys (Count 0), but multiclass classification needs to know the classes. Map the label with mlContext.Transforms.Conversion.MapValueToKey(\"{name}\"), which sets the count.",
                parameterName);
        }

        if (key.Count == 1)
        {
            throw new ArgumentException(
                $"The label column '{name}' is a key type with a single key (Count 1): multiclass classification needs at least 2 classes. Check the data the key mapping was built from (mlContext.Transforms.Conversion.MapValueToKey sees only the classes in its training data).",
                parameterName);
        }

        if (key.Count > int.MaxValue)
        {
            throw new ArgumentException($"The label column '{name}' has {key.Count} keys; at most {int.MaxValue} classes are supported.", parameterName);
        }

        return column;
    }

    /// <summary>The <see cref="SchemaShape"/> version of <see cref="CheckBoolean(DataViewSchema, string, string)"/>.</summary>
    internal static void CheckBoolean(SchemaShape shape, string name, string parameterName)
    {
        SchemaShape.Column column = Find(shape, name, "label", parameterName);
        if (column.IsKey || column.ItemType != BooleanDataViewType.Instance || column.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw Mismatch("label", name, Describe(column), "Boolean for binary classification", parameterName, BooleanHint(name));
        }
    }

    /// <summary>The <see cref="SchemaShape"/> version of <see cref="CheckKey(DataViewSchema, string, string)"/> (the key count is checked in Fit).</summary>
    internal static void CheckKey(SchemaShape shape, string name, string parameterName)
    {
        SchemaShape.Column column = Find(shape, name, "label", parameterName);
        if (!column.IsKey || column.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw Mismatch("label", name, Describe(column), "a key type for multiclass classification", parameterName, KeyHint(name));
        }
    }

    private static string BooleanHint(string name) =>
        $"Convert it to Boolean first: a 0/1 number with mlContext.Transforms.Conversion.ConvertType(\"{name}\", outputKind: DataKind.Boolean), " +
        $"text or other values with mlContext.Transforms.CustomMapping (e.g. label == \">50K\") or mlContext.Transforms.Expression; " +
        "for more than two classes use mlContext.MulticlassClassification.Trainers.GradientDescent.";

    private static string KeyHint(string name) =>
        $"Map it to a key first with mlContext.Transforms.Conversion.MapValueToKey(\"{name}\") (and back with MapKeyToValue(\"PredictedLabel\") after scoring).";

    /// <summary>The <see cref="SchemaShape"/> version of <see cref="CheckFeatures(DataViewSchema, string, string)"/>.</summary>
    internal static void CheckFeatures(SchemaShape shape, string name, string parameterName)
    {
        SchemaShape.Column column = Find(shape, name, "feature", parameterName);
        bool single = !column.IsKey && column.ItemType == NumberDataViewType.Single;
        if (single && column.Kind is SchemaShape.Column.VectorKind.Vector or SchemaShape.Column.VectorKind.Scalar)
        {
            return;
        }

        throw Mismatch("feature", name, Describe(column), FeatureNeed, parameterName,
            column.Kind == SchemaShape.Column.VectorKind.VariableVector
                ? "A variable-size vector cannot be used: the model needs the same number of features in every row."
                : "Convert it with mlContext.Transforms.Conversion.ConvertType(...) or build it with mlContext.Transforms.Concatenate(...).");
    }

    /// <summary>The <see cref="SchemaShape"/> version of <see cref="CheckSingle(DataViewSchema, string, string, string)"/>.</summary>
    internal static void CheckSingle(SchemaShape shape, string name, string role, string parameterName)
    {
        SchemaShape.Column column = Find(shape, name, role, parameterName);
        if (column.IsKey || column.ItemType != NumberDataViewType.Single || column.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw Mismatch(role, name, Describe(column), SingleNeed, parameterName,
                "Convert it with mlContext.Transforms.Conversion.ConvertType(\"" + name + "\", outputKind: DataKind.Single).");
        }
    }

    private static DataViewSchema.Column Find(DataViewSchema schema, string name, string role, string parameterName) =>
        schema.GetColumnOrNull(name) ?? throw Missing(role, name, schema.Where(c => !c.IsHidden).Select(c => c.Name), parameterName);

    private static SchemaShape.Column Find(SchemaShape shape, string name, string role, string parameterName)
    {
        foreach (SchemaShape.Column column in shape)
        {
            if (column.Name == name)
            {
                return column;
            }
        }

        throw Missing(role, name, shape.Select(c => c.Name), parameterName);
    }

    private static ArgumentException Missing(string role, string name, IEnumerable<string> available, string parameterName) =>
        new($"The {role} column '{name}' was not found in the input. Available columns: {string.Join(", ", available.Select(n => "'" + n + "'"))}.", parameterName);

    private static ArgumentOutOfRangeException Mismatch(string role, string name, string found, string needed, string parameterName, string hint) =>
        new(parameterName, $"The {role} column '{name}' has type {found}, but GradientDescent needs {needed}. {hint}");

    private static string Describe(DataViewType type) => type switch
    {
        VectorDataViewType { IsKnownSize: false } vector => $"a variable-size vector of {vector.ItemType}",
        VectorDataViewType vector => $"a vector of {vector.Size} {vector.ItemType}",
        KeyDataViewType key => $"Key<{key.RawType.Name}>",
        _ => type.ToString() ?? type.RawType.Name,
    };

    private static string Describe(SchemaShape.Column column)
    {
        string item = column.IsKey ? $"Key<{column.ItemType.RawType.Name}>" : column.ItemType.ToString() ?? column.ItemType.RawType.Name;
        return column.Kind switch
        {
            SchemaShape.Column.VectorKind.VariableVector => $"a variable-size vector of {item}",
            SchemaShape.Column.VectorKind.Vector => $"a known-size vector of {item}",
            _ => item,
        };
    }
}
