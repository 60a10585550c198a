namespace GdTrainer.Tests.Samples;

using System.Globalization;
using GdTrainer.Samples.Classify;
using Microsoft.ML;
using Microsoft.ML.Data;

public sealed class ClassifyCommandTests
{
    [Fact]
    public void TheIrisLoaderReadsEveryDataRowUnderTheCommentHeader()
    {
        // A file in iris.txt's format: a '#' header line (a comment to ML.NET's TextLoader), then generated rows whose values
        // identify them. Reading it with hasHeader: true dropped the first data row (149 of iris's 150 rows).
        var random = new Random(5);
        var rows = new float[12][];
        string path = Path.Combine(Path.GetTempPath(), $"gdtrainer-iris-{Guid.NewGuid():N}.txt");
        using (var writer = new StreamWriter(path))
        {
            writer.WriteLine("#Label\tSepal length\tSepal width\tPetal length\tPetal width");
            for (int i = 0; i < rows.Length; i++)
            {
                rows[i] = [i % 3, i + 0.5f, (float)Math.Round(random.NextDouble() * 8, 1), 1.25f * i, 0.1f * (i + 1)];
                writer.WriteLine(string.Join('\t', rows[i].Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            }
        }

        try
        {
            IDataView data = ClassifyCommand.LoadIris(new MLContext(seed: 0), path);
            var labels = data.GetColumn<float>("Label").ToArray();
            var features = data.GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToArray();
            Assert.Equal(rows.Length, labels.Length);
            for (int i = 0; i < rows.Length; i++)
            {
                Assert.Equal(rows[i][0], labels[i]);
                Assert.Equal(rows[i][1..], features[i]);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
