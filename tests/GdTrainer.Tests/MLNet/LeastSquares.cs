namespace GdTrainer.Tests.MLNet;

/// <summary>
/// The closed-form (weighted, ridge) least-squares solution in double, written independently of the
/// library: solves <c>(X~^T W X~ + P) beta = X~^T W y</c> with <c>X~ = [X, 1]</c> and <c>P = ridge * I</c>
/// on the weights only (not the intercept), by Gaussian elimination with partial pivoting.
/// </summary>
internal static class LeastSquares
{
    internal static (double[] Weights, double Bias) Solve(float[][] x, float[] y, float[]? sampleWeights = null, double ridge = 0)
    {
        int n = y.Length;
        int d = x[0].Length;
        int m = d + 1;
        var a = new double[m, m + 1];
        for (int i = 0; i < n; i++)
        {
            double w = sampleWeights?[i] ?? 1.0;
            for (int r = 0; r < m; r++)
            {
                double xr = r < d ? x[i][r] : 1.0;
                for (int c = 0; c < m; c++)
                {
                    double xc = c < d ? x[i][c] : 1.0;
                    a[r, c] += w * xr * xc;
                }

                a[r, m] += w * xr * y[i];
            }
        }

        for (int r = 0; r < d; r++)
        {
            a[r, r] += ridge;
        }

        for (int col = 0; col < m; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < m; r++)
            {
                if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col]))
                {
                    pivot = r;
                }
            }

            for (int c = 0; c <= m; c++)
            {
                (a[col, c], a[pivot, c]) = (a[pivot, c], a[col, c]);
            }

            for (int r = 0; r < m; r++)
            {
                if (r == col)
                {
                    continue;
                }

                double factor = a[r, col] / a[col, col];
                for (int c = col; c <= m; c++)
                {
                    a[r, c] -= factor * a[col, c];
                }
            }
        }

        var beta = new double[m];
        for (int r = 0; r < m; r++)
        {
            beta[r] = a[r, m] / a[r, r];
        }

        return (beta[..d], beta[d]);
    }
}
