namespace GdTrainer.Tests.Training;

using GdTrainer.Autograd;
using GdTrainer.Training;

/// <summary>
/// The sparse source as read into pages (rows spread over many pages, one row larger than a page) and as reordered by its
/// shuffle (short rows rewritten, long ones left in place): every row, label and weight where an index shuffle with the same draws puts it, batches that read the same rows,
/// the statistics against sums in double, and the curvature behind the derived learning rate against the largest eigenvalue
/// of the explicit matrix.
/// </summary>
public sealed class SparseTrainingSourceTests
{
    private const int Columns = 12_000;

    /// <summary>Rows of 0 to 60 non-zeros (every 97th about 5,600, wider than the first pages), labels and weights, as dense arrays.</summary>
    private static (float[][] Rows, float[] Labels, float[] Weights) Generate(int count, int seed, bool longRows = false)
    {
        var random = new Random(seed);
        var rows = new float[count][];
        var labels = new float[count];
        var weights = new float[count];
        for (int i = 0; i < count; i++)
        {
            rows[i] = new float[Columns];
            int nonZeros = i % 97 == 5 ? 7_000 : longRows ? random.Next(300, 420) : random.Next(61);
            for (int k = 0; k < nonZeros; k++)
            {
                rows[i][random.Next(Columns)] = (float)((random.NextDouble() * 4) - 2);
            }

            labels[i] = (float)random.NextDouble();
            weights[i] = (float)(0.5 + random.NextDouble());
        }

        return (rows, labels, weights);
    }

    private static SparseTrainingSource Build(float[][] rows, float[] labels, float[] weights)
    {
        var builder = new SparseTrainingSource.Builder(Columns, hasWeights: true, expectedRows: null, "the test rows");
        for (int i = 0; i < rows.Length; i++)
        {
            if (i % 2 == 0)
            {
                builder.AddDense(rows[i], labels[i], weights[i]);
            }
            else
            {
                // The row's non-zeros in column order, and one explicit zero (in the first zero column), which the builder must drop.
                var indices = new List<int>();
                var values = new List<float>();
                bool explicitZero = false;
                for (int j = 0; j < Columns; j++)
                {
                    if (rows[i][j] != 0f || !explicitZero)
                    {
                        explicitZero |= rows[i][j] == 0f;
                        indices.Add(j);
                        values.Add(rows[i][j]);
                    }
                }

                builder.AddSparse([.. indices], [.. values], labels[i], weights[i]);
            }
        }

        return builder.Build();
    }

    private static void AssertRows(float[][] expectedRows, float[] expectedLabels, float[] expectedWeights, int[] order, DenseTrainingSource actual)
    {
        Assert.Equal(order.Length, actual.RowCount);
        BatchPlan plan = actual.Plan(order.Length);
        TrainingBatch batch = plan[0];
        float[] features = batch.Features!.ToArray();
        for (int i = 0; i < order.Length; i++)
        {
            Assert.Equal(expectedRows[order[i]], features.AsSpan(i * Columns, Columns).ToArray());
            Assert.Equal(expectedLabels[order[i]], batch.Labels.Data[i]);
            Assert.Equal(expectedWeights[order[i]], batch.Weights!.Data[i]);
        }
    }

    [Theory]
    [InlineData(false)] // Short rows: rewritten in their shuffled order.
    [InlineData(true)] // Long rows (more than 256 non-zeros on average): left where they were read, their list reordered.
    public void RowsReadIntoPagesComeBackUnchangedAndInTheOrderAnIndexShuffleGives(bool longRows)
    {
        (float[][] rows, float[] labels, float[] weights) = Generate(700, seed: 1, longRows);
        long expectedNonZeros = rows.Sum(row => (long)row.Count(v => v != 0f));
        Assert.True(expectedNonZeros > 50_000, "the rows must fill several pages");

        SparseTrainingSource source = Build(rows, labels, weights);
        Assert.Equal(expectedNonZeros, source.NonZeroCount);
        int[] identity = [.. Enumerable.Range(0, rows.Length)];
        AssertRows(rows, labels, weights, identity, source.ToDense());

        // The index shuffle with the same seed: row i of the shuffled source is the row it puts at i.
        int[] order = [.. identity];
        new FastRandom(7).Shuffle(order.AsSpan());
        source.Shuffle(new FastRandom(7));
        Assert.Equal(expectedNonZeros, source.NonZeroCount);
        AssertRows(rows, labels, weights, order, source.ToDense());

        // The batches of the shuffled rows read the same rows through their CSR views, the validation rows last.
        (TrainingSource kept, TrainingSource heldOut) = source.HoldOut(100);
        BatchPlan plan = kept.Plan(64);
        int row = 0;
        for (int b = 0; b < plan.Count; b++)
        {
            SparseRows sparse = plan[b].SparseFeatures!;
            for (int i = 0; i < sparse.RowCount; i++, row++)
            {
                var densified = new float[Columns];
                sparse.Row(i, out ReadOnlySpan<int> indices, out ReadOnlySpan<float> values);
                for (int p = 0; p < indices.Length; p++)
                {
                    densified[indices[p]] = values[p];
                }

                Assert.Equal(rows[order[row]], densified);
                Assert.Equal(labels[order[row]], plan[b].Labels.Data[i]);
            }
        }

        Assert.Equal(600, row);
        Assert.Equal(labels[order[600]], heldOut.Plan(100)[0].Labels.Data[0]);
    }

    [Fact]
    public void StatisticsOfThePagedRowsEqualWeightedSumsInDouble()
    {
        (float[][] rows, float[] labels, float[] weights) = Generate(300, seed: 2);
        FeatureStatistics statistics = Build(rows, labels, weights).Statistics;
        double totalWeight = weights.Sum(w => (double)w);
        Assert.Equal(totalWeight, statistics.TotalWeight, 9);
        for (int j = 0; j < Columns; j += 7)
        {
            double sum = 0, squares = 0;
            int present = 0;
            float minimum = float.PositiveInfinity, maximum = float.NegativeInfinity;
            for (int i = 0; i < rows.Length; i++)
            {
                float value = rows[i][j];
                sum += (double)weights[i] * value;
                squares += (double)weights[i] * value * value;
                present += value != 0f ? 1 : 0;
                minimum = Math.Min(minimum, value);
                maximum = Math.Max(maximum, value);
            }

            double mean = sum / totalWeight;
            Assert.Equal(mean, statistics.Means[j], 12);
            Assert.Equal(Math.Max((squares / totalWeight) - (mean * mean), 0), statistics.Variances[j], 12);
            Assert.Equal((double)present / rows.Length, statistics.Presence![j], 12);
            Assert.Equal(minimum, statistics.Minimum[j]);
            Assert.Equal(maximum, statistics.Maximum[j]);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheCurvatureOfSparseRowsIsTheLargestEigenvalueOfTheExplicitMatrix(bool centred)
    {
        // Few enough columns for the explicit (d + 1) x (d + 1) matrix; every row in the sample (fewer than 4,096 rows).
        const int Width = 1_100;
        var random = new Random(3);
        var builder = new SparseTrainingSource.Builder(Width, hasWeights: true, expectedRows: null, "the test rows");
        var rows = new List<double[]>();
        var rowWeights = new List<double>();
        for (int i = 0; i < 400; i++)
        {
            var row = new double[Width];
            var indices = new SortedDictionary<int, float>();
            for (int k = 0; k < 15; k++)
            {
                // The first 20 columns are common (and centred below), the others rare.
                indices[k < 3 ? random.Next(20) : random.Next(Width)] = (float)((random.NextDouble() * 2) - 1);
            }

            foreach ((int j, float value) in indices)
            {
                row[j] = value;
            }

            float weight = (float)(0.5 + random.NextDouble());
            builder.AddSparse([.. indices.Keys], [.. indices.Values], 0f, weight);
            rows.Add(row);
            rowWeights.Add(weight);
        }

        SparseTrainingSource source = builder.Build();
        var offsets = new float[Width];
        if (centred)
        {
            var scales = new float[Width];
            Array.Fill(scales, 1f);
            for (int j = 0; j < 20; j++)
            {
                offsets[j] = (float)(0.05 * (j + 1));
            }

            source.Standardize(new FeatureTransform(offsets, scales));
        }

        // M = A^T W A / sum(W), A = [X - m, 1], and its largest eigenvalue by power iteration in double to convergence.
        int d = Width + 1;
        var m = new double[d * d];
        double total = rowWeights.Sum();
        var a = new double[d];
        double largestNorm = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            for (int j = 0; j < Width; j++)
            {
                a[j] = rows[i][j] - offsets[j];
            }

            a[Width] = 1;
            largestNorm = Math.Max(largestNorm, a.Take(Width).Sum(v => v * v));
            for (int r = 0; r < d; r++)
            {
                if (a[r] == 0)
                {
                    continue;
                }

                for (int c = 0; c < d; c++)
                {
                    m[(r * d) + c] += rowWeights[i] * a[r] * a[c] / total;
                }
            }
        }

        var v = Enumerable.Repeat(1.0, d).ToArray();
        double lambda = 0;
        for (int iteration = 0; iteration < 2_000; iteration++)
        {
            var next = new double[d];
            for (int r = 0; r < d; r++)
            {
                for (int c = 0; c < d; c++)
                {
                    next[r] += m[(r * d) + c] * v[c];
                }
            }

            lambda = Math.Sqrt(next.Sum(x => x * x));
            v = [.. next.Select(x => x / lambda)];
        }

        LinearCurvature curvature = source.EstimateLinearCurvature();
        Assert.Equal(largestNorm + 1, curvature.RowCurvature, 4);

        // 30 power iterations approach lambda_max from below: within 2%, never above.
        Assert.InRange(curvature.Lambda, 0.98 * lambda, lambda * (1 + 1e-6));
    }
}
