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

    [Fact]
    public void TheBinaryCalibrationErrorIsTheRowWeightedGapOfEachProbabilityBin()
    {
        // Bins of width 0.1: 0.05 -> bin 0 (gap 0.05); 0.15 and 0.12 -> bin 1 (0.27 - 1); 0.55 -> bin 5 (-0.45); 0.85 -> bin 8
        // (0.85); 0.95 -> bin 9 (-0.05): (0.05 + 0.73 + 0.45 + 0.85 + 0.05) / 6.
        double[] probabilities = [0.05, 0.15, 0.12, 0.95, 0.85, 0.55];
        bool[] labels = [false, false, true, true, false, true];
        Assert.Equal(2.13 / 6, CalibrationError.Binary(probabilities, labels), 12);
    }

    [Fact]
    public void TheTopLabelCalibrationErrorComparesTheConfidenceOfThePredictedClassWithItsAccuracy()
    {
        // Confidences 0.72 (right), 0.63 (wrong), 0.64 (right), 0.5 (a tie: the first class, wrong): bins 7, 6, 6, 5 with gaps
        // 0.72 - 1, 0.63 - 0 + 0.64 - 1 = 0.27, and 0.5: (0.28 + 0.27 + 0.5) / 4. (No value sits on a bin edge, where float
        // rounding would decide the bin.)
        float[][] probabilities = [[0.72f, 0.18f, 0.1f], [0.1f, 0.63f, 0.27f], [0.18f, 0.18f, 0.64f], [0.5f, 0.5f, 0f]];
        int[] labels = [0, 2, 2, 1];
        Assert.Equal(1.05 / 4, CalibrationError.TopLabel(probabilities, labels), 6);
    }

    [Fact]
    public void ProbabilitiesThatAreTheTruthHaveANearZeroCalibrationErrorAndOverconfidentOnesDoNot()
    {
        var random = new Random(3);
        double[] truth = [.. Enumerable.Range(0, 20000).Select(_ => random.NextDouble())];
        bool[] labels = [.. truth.Select(p => random.NextDouble() < p)];
        double[] overconfident = [.. truth.Select(p => p < 0.5 ? p / 3 : 1 - ((1 - p) / 3))];
        Assert.True(CalibrationError.Binary(truth, labels) < 0.015);
        Assert.True(CalibrationError.Binary(overconfident, labels) > 0.1);
        Assert.Throws<ArgumentException>(() => CalibrationError.Binary([0.5, 1.5], [true, false]));
        Assert.Throws<ArgumentException>(() => CalibrationError.Binary([0.5], [true, false]));
    }
}
