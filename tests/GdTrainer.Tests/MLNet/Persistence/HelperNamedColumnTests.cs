namespace GdTrainer.Tests.MLNet;

using GdTrainer.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// Issue 11, item 5: the saved carrier's helper columns (<c>__GdTrainer_v2_*</c>) must not take a user column of the same name with
/// them. A column of the schema the model was fitted on, the feature column included, survives <c>mlContext.Model.Save</c> + plain
/// <c>mlContext.Model.Load</c> and both <see cref="GradientDescentModel"/> routes with its values, and the scores stay those of the
/// in-memory transformer. The names are spelled out here (not read from the library), so a renamed helper is still tested.
/// </summary>
public sealed class HelperNamedColumnTests : IDisposable
{
    private const int FeatureCount = 4;
    private const int RowCount = 60;

    /// <summary>Every helper column name the version-2 carriers use (the last three only in the multiclass one).</summary>
    private static readonly string[] s_helperNames =
    [
        "__GdTrainer_v2_Features", "__GdTrainer_v2_ModelKey", "__GdTrainer_v2_Model",
        "__GdTrainer_v2_Scores", "__GdTrainer_v2_PredictedIndex", "__GdTrainer_v2_PredictedValue",
    ];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-helpernames-" + Guid.NewGuid().ToString("N"));
    private readonly MLContext _mlContext = new(seed: 0);

    public HelperNamedColumnTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public enum Kind
    {
        Regression,
        Binary,
        Multiclass,
    }

    /// <summary>Each task with the ordinary feature column name and with the feature column named like each helper of that kind.</summary>
    public static TheoryData<Kind, string> Cases()
    {
        var cases = new TheoryData<Kind, string>();
        foreach (Kind kind in Enum.GetValues<Kind>())
        {
            cases.Add(kind, "Features");
            int helpers = kind == Kind.Multiclass ? 6 : 3;
            for (int i = 0; i < helpers; i++)
            {
                cases.Add(kind, s_helperNames[i]);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void UserColumnsNamedLikeHelperColumnsSurviveEveryLoadRouteWithTheirValues(Kind kind, string featureColumnName)
    {
        string[] userColumns = [.. s_helperNames.Where(n => n != featureColumnName)];
        IDataView data = Data(featureColumnName, userColumns, seed: 1);
        ITransformer model = Train(kind, featureColumnName, data);
        IDataView expected = model.Transform(data);
        AssertUserColumnsIntact(expected, userColumns, featureColumnName, "in memory");

        string plainSaved = Path.Combine(_directory, "plain.zip");
        _mlContext.Model.Save(model, data.Schema, plainSaved);
        string helperSaved = Path.Combine(_directory, "helper.zip");
        GradientDescentModel.Save(_mlContext, model, data.Schema, helperSaved);

        ITransformer restored = GradientDescentModel.Load(new MLContext(seed: 2), plainSaved, out _);
        Assert.True(ContainsOurTransformer(restored), "GradientDescentModel.Load must restore our transformer type.");
        string resaved = Path.Combine(_directory, "resaved.zip");
        GradientDescentModel.Save(_mlContext, restored, data.Schema, resaved); // A restored transformer keeps protecting the columns.

        var routes = new (string Route, ITransformer Loaded)[]
        {
            ("plain save, plain load", new MLContext(seed: 1).Model.Load(plainSaved, out _)),
            ("plain save, GradientDescentModel.Load", restored),
            ("GradientDescentModel.Save, plain load", new MLContext(seed: 3).Model.Load(helperSaved, out _)),
            ("GradientDescentModel.Save, GradientDescentModel.Load", GradientDescentModel.Load(new MLContext(seed: 4), helperSaved, out _)),
            ("re-saved after restore, plain load", new MLContext(seed: 5).Model.Load(resaved, out _)),
            ("re-saved after restore, GradientDescentModel.Load", GradientDescentModel.Load(new MLContext(seed: 6), resaved, out _)),
        };
        foreach ((string route, ITransformer loaded) in routes)
        {
            Assert.True(!route.EndsWith("GradientDescentModel.Load", StringComparison.Ordinal) || ContainsOurTransformer(loaded), $"{route}: our transformer type was not restored.");
            IDataView actual = loaded.Transform(data);
            AssertUserColumnsIntact(actual, userColumns, featureColumnName, route);
            Assert.Equal(expected.GetColumn<float[]>(featureColumnName).SelectMany(v => v), actual.GetColumn<float[]>(featureColumnName).SelectMany(v => v));
            AssertSameScores(kind, expected, actual, route);
        }
    }

    [Fact]
    public void APlainLoadedChainNeedsAProtectedColumnAtScoringTimeWhileTheRestoredTransformerDoesNot()
    {
        IDataView data = Data("Features", userColumns: ["__GdTrainer_v2_Model"], seed: 3);
        ITransformer model = Train(Kind.Regression, "Features", data);
        string path = Path.Combine(_directory, "model.zip");
        _mlContext.Model.Save(model, data.Schema, path);
        IDataView withoutIt = Data("Features", userColumns: [], seed: 3);

        ITransformer plain = new MLContext(seed: 1).Model.Load(path, out _);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => plain.Transform(withoutIt)); // ML.NET's "Could not find input column ...".
        Assert.Contains("__GdTrainer_v2_Model", error.Message, StringComparison.Ordinal);

        ITransformer restored = GradientDescentModel.Load(new MLContext(seed: 2), path, out _);
        AssertClose(model.Transform(withoutIt).GetColumn<float>("Score"), restored.Transform(withoutIt).GetColumn<float>("Score"), "restored");
    }

    [Fact]
    public void AHelperNamedColumnThatAppearsOnlyAtScoringTimeIsDroppedByThePlainLoadedChainAndKeptByTheRestoredTransformer()
    {
        IDataView trainData = Data("Features", userColumns: [], seed: 5);
        ITransformer model = Train(Kind.Regression, "Features", trainData);
        string path = Path.Combine(_directory, "model.zip");
        _mlContext.Model.Save(model, trainData.Schema, path);
        IDataView scoringData = Data("Features", userColumns: s_helperNames, seed: 5);
        IDataView expected = model.Transform(scoringData);
        AssertUserColumnsIntact(expected, s_helperNames, "Features", "in memory");

        // The regression carrier writes and drops the first three helper names: unknown at save, they cannot be kept.
        IDataView plain = new MLContext(seed: 1).Model.Load(path, out _).Transform(scoringData);
        foreach (string dropped in s_helperNames[..3])
        {
            Assert.Null(plain.Schema.GetColumnOrNull(dropped));
        }

        AssertUserColumnsIntact(plain, s_helperNames, "Features", "plain load", name => Array.IndexOf(s_helperNames, name) >= 3);
        AssertSameScores(Kind.Regression, expected, plain, "plain load");

        IDataView restored = GradientDescentModel.Load(new MLContext(seed: 2), path, out _).Transform(scoringData);
        AssertUserColumnsIntact(restored, s_helperNames, "Features", "GradientDescentModel.Load");
        AssertSameScores(Kind.Regression, expected, restored, "GradientDescentModel.Load");
    }

    [Fact]
    public void TheStashColumnsAvoidUserColumnsNamedLikeThemAndAnOutputColumn()
    {
        // Each stash name the carrier would pick first is taken by a user column, as is an output column's name.
        string[] userColumns = ["__GdTrainer_v2_Model", "__GdTrainer_v2_Kept_Model", "__GdTrainer_v2_ModelKey", "__GdTrainer_v2_Kept_ModelKey", "__GdTrainer_v2_Kept_Model_2", "Score"];
        IDataView data = Data("Features", userColumns, seed: 7);
        ITransformer model = Train(Kind.Regression, "Features", data);
        IDataView expected = model.Transform(data);
        string path = Path.Combine(_directory, "model.zip");
        _mlContext.Model.Save(model, data.Schema, path);
        string resaved = Path.Combine(_directory, "resaved.zip");
        GradientDescentModel.Save(_mlContext, GradientDescentModel.Load(new MLContext(seed: 1), path, out _), data.Schema, resaved);

        foreach (string file in new[] { path, resaved })
        {
            IDataView plain = new MLContext(seed: 2).Model.Load(file, out _).Transform(data);
            AssertUserColumnsIntact(plain, userColumns, "Features", file, name => name != "Score"); // "Score" is hidden by the output, as in memory.
            AssertSameScores(Kind.Regression, expected, plain, file);
        }
    }

    [Fact]
    public void ATransformerBuiltWithThePublicConstructorKeepsAFeatureColumnNamedLikeAHelper()
    {
        // Built without a training schema, the transformer still knows its feature column.
        const string featureColumnName = "__GdTrainer_v2_Model";
        IDataView data = Data(featureColumnName, userColumns: [], seed: 9);
        var trained = (GradientDescentBinaryTransformer)Train(Kind.Binary, featureColumnName, data);
        var model = new GradientDescentBinaryTransformer(trained.Model, featureColumnName, trained.FeatureColumnType);
        string path = Path.Combine(_directory, "model.zip");
        _mlContext.Model.Save(model, data.Schema, path);

        IDataView expected = model.Transform(data);
        foreach ((string route, ITransformer loaded) in new[] { ("plain load", new MLContext(seed: 1).Model.Load(path, out _)), ("GradientDescentModel.Load", GradientDescentModel.Load(new MLContext(seed: 2), path, out _)) })
        {
            IDataView actual = loaded.Transform(data);
            AssertUserColumnsIntact(actual, [], featureColumnName, route);
            Assert.Equal(expected.GetColumn<float[]>(featureColumnName).SelectMany(v => v), actual.GetColumn<float[]>(featureColumnName).SelectMany(v => v));
            AssertSameScores(Kind.Binary, expected, actual, route);
        }
    }

    private static bool ContainsOurTransformer(ITransformer model) => model switch
    {
        GradientDescentRegressionTransformer or GradientDescentBinaryTransformer or GradientDescentMulticlassTransformer => true,
        IEnumerable<ITransformer> chain => chain.Any(ContainsOurTransformer),
        _ => false,
    };

    private ITransformer Train(Kind kind, string featureColumnName, IDataView data) => kind switch
    {
        Kind.Regression => _mlContext.Regression.Trainers.GradientDescent(new GradientDescentRegressionTrainer.Options
        {
            FeatureColumnName = featureColumnName, LabelColumnName = nameof(Row.Target), NumberOfEpochs = 5, Seed = 1,
        }).Fit(data),
        Kind.Binary => _mlContext.BinaryClassification.Trainers.GradientDescent(new GradientDescentBinaryTrainer.Options
        {
            FeatureColumnName = featureColumnName, LabelColumnName = nameof(Row.Positive), NumberOfEpochs = 5, Seed = 1,
        }).Fit(data),
        _ => _mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(Row.Colour))
            .Append(_mlContext.MulticlassClassification.Trainers.GradientDescent(new GradientDescentMulticlassTrainer.Options
            {
                FeatureColumnName = featureColumnName, NumberOfEpochs = 5, Seed = 1,
            }))
            .Fit(data),
    };

    /// <summary>
    /// Rows with the features under <paramref name="featureColumnName"/>, three labels, and one Single column per name of
    /// <paramref name="userColumns"/> (at most six) holding <see cref="UserValue"/> of its position.
    /// </summary>
    private IDataView Data(string featureColumnName, string[] userColumns, int seed)
    {
        var random = new Random(seed);
        var rows = new Row[RowCount];
        string[] colours = ["red", "green", "blue"];
        for (int i = 0; i < rows.Length; i++)
        {
            var x = new float[FeatureCount];
            for (int j = 0; j < x.Length; j++)
            {
                x[j] = (float)((random.NextDouble() * 4) - 2);
            }

            int colour = i % 3;
            x[colour] += 1.5f;
            rows[i] = new Row
            {
                X = x,
                Target = (1.5f * x[0]) - x[1] + (0.5f * x[2]) + 0.25f,
                Positive = x[0] - x[1] > 0,
                Colour = colours[colour],
                C0 = UserValue(i, 0), C1 = UserValue(i, 1), C2 = UserValue(i, 2), C3 = UserValue(i, 3), C4 = UserValue(i, 4), C5 = UserValue(i, 5),
            };
        }

        SchemaDefinition definition = SchemaDefinition.Create(typeof(Row));
        definition[nameof(Row.X)].ColumnName = featureColumnName;
        string[] userFields = [nameof(Row.C0), nameof(Row.C1), nameof(Row.C2), nameof(Row.C3), nameof(Row.C4), nameof(Row.C5)];
        for (int k = 0; k < userFields.Length; k++)
        {
            SchemaDefinition.Column column = definition[userFields[k]];
            if (k < userColumns.Length)
            {
                column.ColumnName = userColumns[k];
            }
            else
            {
                definition.Remove(column);
            }
        }

        return _mlContext.Data.LoadFromEnumerable(rows, definition);
    }

    /// <summary>The value of the user column at position <paramref name="column"/> of the test's user columns in row <paramref name="row"/>.</summary>
    private static float UserValue(int row, int column) => (row * 10f) + column + 0.5f;

    /// <summary>Asserts that every column of <paramref name="userColumns"/> (those <paramref name="checkedColumns"/> allows) and the feature column are in <paramref name="output"/> with the values of <see cref="Data"/>.</summary>
    private static void AssertUserColumnsIntact(IDataView output, string[] userColumns, string featureColumnName, string route, Func<string, bool>? checkedColumns = null)
    {
        for (int position = 0; position < userColumns.Length; position++)
        {
            string name = userColumns[position];
            if (checkedColumns is not null && !checkedColumns(name))
            {
                continue;
            }

            DataViewSchema.Column? column = output.Schema.GetColumnOrNull(name);
            Assert.True(column is not null, $"{route}: the user column '{name}' vanished.");
            Assert.Equal(NumberDataViewType.Single, column.Value.Type);
            float[] values = [.. output.GetColumn<float>(column.Value)];
            Assert.Equal(Enumerable.Range(0, RowCount).Select(i => UserValue(i, position)), values);
        }

        DataViewSchema.Column? features = output.Schema.GetColumnOrNull(featureColumnName);
        Assert.True(features is not null, $"{route}: the feature column '{featureColumnName}' vanished.");
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, FeatureCount), features.Value.Type);
        float[][] featureValues = [.. output.GetColumn<float[]>(features.Value)];
        Assert.Equal(RowCount, featureValues.Length);
        Assert.All(featureValues, v => Assert.Equal(FeatureCount, v.Length));
    }

    private static void AssertSameScores(Kind kind, IDataView expected, IDataView actual, string route)
    {
        switch (kind)
        {
            case Kind.Regression:
                AssertClose(expected.GetColumn<float>("Score"), actual.GetColumn<float>("Score"), route);
                break;
            case Kind.Binary:
                AssertClose(expected.GetColumn<float>("Score"), actual.GetColumn<float>("Score"), route);
                AssertClose(expected.GetColumn<float>("Probability"), actual.GetColumn<float>("Probability"), route);
                Assert.Equal(expected.GetColumn<bool>("PredictedLabel"), actual.GetColumn<bool>("PredictedLabel"));
                break;
            default:
                AssertClose(expected.GetColumn<float[]>("Score").SelectMany(s => s), actual.GetColumn<float[]>("Score").SelectMany(s => s), route);
                Assert.Equal(expected.GetColumn<uint>("PredictedLabel"), actual.GetColumn<uint>("PredictedLabel"));
                break;
        }
    }

    private static void AssertClose(IEnumerable<float> expected, IEnumerable<float> actual, string route)
    {
        float[] e = [.. expected];
        float[] a = [.. actual];
        Assert.True(e.Length == a.Length, $"{route}: {a.Length} scores, expected {e.Length}.");
        Assert.True(e.Length > 0, $"{route}: no scores.");
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-6, $"{route}: score {i} is {a[i]}, expected {e[i]}.");
        }
    }

    /// <summary>A row of the test data; <see cref="SchemaDefinition"/> renames and removes its columns per test.</summary>
    public sealed class Row
    {
        [VectorType(FeatureCount)]
        public float[] X = [];

        public float Target;

        public bool Positive;

        public string Colour = string.Empty;

        public float C0;

        public float C1;

        public float C2;

        public float C3;

        public float C4;

        public float C5;
    }
}
