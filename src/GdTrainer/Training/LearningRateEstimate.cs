namespace GdTrainer.Training;

using System.Buffers;
using System.Numerics.Tensors;
using GdTrainer.Autograd;

/// <summary>
/// The default learning rate of mini-batch gradient descent on the mean squared error of a linear model,
/// from the curvature of the data it trains on. The loss's Hessian is <c>H = 2 A^T W A / sum(W)</c> with
/// <c>A = [X, 1]</c> (the features as trained plus the bias column). Plain gradient descent is stable below
/// <c>2 / lambda_max(H)</c>; a mini-batch of <c>B</c> rows holding row <c>a</c> has curvature of at least
/// <c>2 ||a||^2 / B</c> along it (Jain et al., "Parallelizing SGD for least squares", 2018, bound the step by the
/// largest squared row norm in the same way), so the rate is <c>1 / (lambda_max(H) + 2 max ||a||^2 / B)</c>:
/// half the full-batch limit, less for small batches and extreme rows.
/// </summary>
internal static class LearningRateEstimate
{
    /// <summary>Rows used to estimate the curvature: enough for a few-percent estimate of lambda_max at any size.</summary>
    internal const int SampleRows = 4096;

    private const int PowerIterations = 30;

    /// <summary>
    /// The curvature of the rows <paramref name="features"/> (row-major, <paramref name="rowCount"/> x <paramref name="featureCount"/>,
    /// already transformed as trained) with optional example weights, from which <see cref="LinearCurvature.RateFor"/> gives the
    /// rate for any batch size (the adaptive schedule grows the batch, and the rate follows it). An empty <paramref name="weights"/> weighs every row 1.
    /// </summary>
    internal static LinearCurvature CurvatureOfLinearLeastSquares(ReadOnlySpan<float> features, ReadOnlySpan<float> weights, int rowCount, int featureCount)
    {
        // Rows are shuffled before this is called when training shuffles; otherwise evenly spaced rows form the sample.
        int sampleCount = Math.Min(rowCount, SampleRows);
        int d = featureCount;
        float[] sample = ArrayPool<float>.Shared.Rent(sampleCount * d);
        float[] sampleWeights = ArrayPool<float>.Shared.Rent(sampleCount);
        for (int s = 0; s < sampleCount; s++)
        {
            int row = (int)((long)s * rowCount / sampleCount);
            features.Slice(row * d, d).CopyTo(sample.AsSpan(s * d, d));
            sampleWeights[s] = weights.IsEmpty ? 1f : weights[row];
        }

        // The largest squared row norm over all rows, not the sample's: a rare extreme row is easily missing from the sample.
        float largestNorm = 0;
        for (int row = 0; row < rowCount; row++)
        {
            ReadOnlySpan<float> values = features.Slice(row * d, d);
            largestNorm = MathF.Max(largestNorm, TensorPrimitives.Dot(values, values));
        }

        LinearCurvature curvature = CurvatureOfSample(sample, sampleWeights, sampleCount, d, largestNorm, rowCount);
        ArrayPool<float>.Shared.Return(sample);
        ArrayPool<float>.Shared.Return(sampleWeights);
        return curvature;
    }

    /// <summary>
    /// The curvature from a sample of <paramref name="sampleCount"/> rows (row-major in <paramref name="sample"/>, already
    /// transformed as trained, with their example weights) and the largest squared row norm <paramref name="largestSquaredNorm"/>
    /// over all <paramref name="rowCount"/> rows: for sources that gather the sample and the norm themselves (a stream, in one pass).
    /// </summary>
    internal static LinearCurvature CurvatureOfSample(float[] sample, float[] sampleWeights, int sampleCount, int featureCount, float largestSquaredNorm, int rowCount)
    {
        double totalWeight = 0;
        for (int s = 0; s < sampleCount; s++)
        {
            totalWeight += sampleWeights[s];
        }

        // Plus 1 for the bias column: a mini-batch holding the row of largest norm has at least 2 ||a||^2 / B of curvature along it.
        double lambda = LargestEigenvalue(sample, sampleWeights, sampleCount, featureCount, totalWeight);
        return new LinearCurvature(lambda, largestSquaredNorm + 1.0, rowCount);
    }

    /// <summary>lambda_max of <c>M = A^T W A / sum(W)</c>, <c>A = [X, 1]</c>, by power iteration from the all-ones vector.</summary>
    private static double LargestEigenvalue(float[] sample, float[] sampleWeights, int rows, int d, double totalWeight)
    {
        ReadOnlySpan<float> x = sample.AsSpan(0, rows * d);
        ReadOnlySpan<float> w = sampleWeights.AsSpan(0, rows);
        float[] projections = ArrayPool<float>.Shared.Rent(rows);
        Span<float> u = projections.AsSpan(0, rows);
        var v = new float[d];
        var next = new float[d];
        float vBias = 1f / MathF.Sqrt(d + 1);
        Array.Fill(v, vBias);
        double lambda = 0;
        for (int iteration = 0; iteration < PowerIterations; iteration++)
        {
            // u = w * (X v + v_bias) / sum(w); next = X^T u; next_bias = sum(u).
            MatrixVectorKernels<float>.Multiply(x, v, u, rows, d);
            TensorPrimitives.Add(u, vBias, u);
            TensorPrimitives.Multiply(u, w, u);
            TensorPrimitives.Multiply(u, (float)(1 / totalWeight), u);
            Array.Clear(next);
            MatrixVectorKernels<float>.MultiplyTransposedAdd(x, u, next, rows, d);
            float nextBias = TensorPrimitives.Sum<float>(u);
            double norm = Math.Sqrt(((double)TensorPrimitives.Dot<float>(next, next)) + ((double)nextBias * nextBias));
            if (norm == 0)
            {
                break;
            }

            lambda = norm; // ||M v|| with ||v|| = 1 converges to lambda_max from below.
            TensorPrimitives.Multiply(next, (float)(1 / norm), v);
            vBias = (float)(nextBias / norm);
        }

        ArrayPool<float>.Shared.Return(projections);
        return lambda;
    }
    /// <summary>
    /// lambda_max of <c>M = A^T W A / sum(W)</c>, <c>A = [X, 1]</c>, by power iteration from a constant vector, for sparse rows
    /// (compressed: row r's entries are <c>[rowStarts[r], rowStarts[r + 1])</c> of <paramref name="columns"/> and
    /// <paramref name="values"/>), so that an iteration costs the non-zeros plus <paramref name="columnCount"/>.
    /// </summary>
    /// <param name="columnCount">The columns of X (those the rows use and the offset columns; the others add nothing to M).</param>
    /// <param name="start">The value of every coordinate of the first vector.</param>
    /// <param name="rowStarts">Where each row's entries start, and where the last ends.</param>
    /// <param name="columns">Each entry's column.</param>
    /// <param name="values">Each entry's value.</param>
    /// <param name="weights">Each row's example weight.</param>
    /// <param name="offsetColumns">Columns from which every row subtracts a value (centred sparse columns), or null.</param>
    /// <param name="offsetValues">The value each of <paramref name="offsetColumns"/> subtracts.</param>
    internal static double LargestEigenvalue(
        int columnCount, double start, int[] rowStarts, int[] columns, float[] values, float[] weights, int[]? offsetColumns, float[]? offsetValues)
    {
        int rows = weights.Length;
        double totalWeight = 0;
        for (int r = 0; r < rows; r++)
        {
            totalWeight += weights[r];
        }

        var v = new double[columnCount];
        var next = new double[columnCount];
        double vBias = start;
        Array.Fill(v, start);
        double lambda = 0;
        for (int iteration = 0; iteration < PowerIterations; iteration++)
        {
            Array.Clear(next);
            double nextBias = 0;
            double shift = 0; // m . v: what the offsets take off every row's product.
            for (int c = 0; c < (offsetColumns?.Length ?? 0); c++)
            {
                shift += offsetValues![c] * v[offsetColumns![c]];
            }

            for (int r = 0; r < rows; r++)
            {
                double dot = 0;
                for (int p = rowStarts[r]; p < rowStarts[r + 1]; p++)
                {
                    dot += (double)values[p] * v[columns[p]];
                }

                double u = weights[r] * (dot - shift + vBias) / totalWeight;
                for (int p = rowStarts[r]; p < rowStarts[r + 1]; p++)
                {
                    next[columns[p]] += u * values[p];
                }

                nextBias += u;
            }

            for (int c = 0; c < (offsetColumns?.Length ?? 0); c++)
            {
                next[offsetColumns![c]] -= offsetValues![c] * nextBias;
            }

            double norm = Math.Sqrt(TensorPrimitives.Dot<double>(next, next) + (nextBias * nextBias));
            if (norm == 0)
            {
                break;
            }

            lambda = norm;
            TensorPrimitives.Multiply(next, 1 / norm, v);
            vBias = nextBias / norm;
        }

        return lambda;
    }
}

/// <summary>
/// The curvature of the mean squared error of a linear model (see <see cref="LearningRateEstimate"/>): <paramref name="Lambda"/> =
/// lambda_max of <c>M = A^T W A / sum(W)</c> (so <c>H = 2 M</c>) and <paramref name="RowCurvature"/> = the largest squared row norm plus 1.
/// </summary>
internal readonly record struct LinearCurvature(double Lambda, double RowCurvature, int RowCount)
{
    /// <summary>The rate <c>1 / (lambda_max(H) + 2 max ||a||^2 / B)</c> for batches of <paramref name="batchSize"/> rows.</summary>
    internal float RateFor(int batchSize) => (float)(1 / ((2 * Lambda) + (2 * RowCurvature / Math.Min(batchSize, RowCount))));
}
