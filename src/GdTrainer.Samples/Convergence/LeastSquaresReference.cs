using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Convergence;

/// <summary>
/// The closed-form least-squares fit in double, the reference a trainer's optimum is measured against:
/// solves the normal equations <c>[X, 1]^T [X, 1] beta = [X, 1]^T y</c> by Gauss-Jordan elimination with
/// partial pivoting. Collinear columns (a one-hot group next to the intercept) make the system singular
/// but consistent; a pivot below 1e-12 of the matrix's scale marks a dependent column, whose coefficient is
/// set to 0, which still gives a minimiser of the squared error.
/// </summary>
public sealed class LeastSquaresReference
{
    private LeastSquaresReference(double[] weights, double bias)
    {
        Weights = weights;
        Bias = bias;
    }

    /// <summary>The optimal weights, one per feature.</summary>
    public double[] Weights { get; }

    /// <summary>The optimal intercept.</summary>
    public double Bias { get; }

    /// <summary>Fits the reference on the <c>Features</c> vector and <c>Label</c> columns of <paramref name="data"/>.</summary>
    public static LeastSquaresReference Fit(IDataView data, string featureColumn = "Features", string labelColumn = "Label")
    {
        (float[][] rows, float[] labels) = Read(data, featureColumn, labelColumn);
        int d = rows[0].Length;
        int m = d + 1;
        var a = new double[m, m + 1];
        for (int i = 0; i < rows.Length; i++)
        {
            for (int r = 0; r < m; r++)
            {
                double xr = r < d ? rows[i][r] : 1.0;
                for (int c = r; c < m; c++)
                {
                    a[r, c] += xr * (c < d ? rows[i][c] : 1.0);
                }

                a[r, m] += xr * labels[i];
            }
        }

        double scale = 0;
        for (int r = 0; r < m; r++)
        {
            scale = Math.Max(scale, a[r, r]);
            for (int c = 0; c < r; c++)
            {
                a[r, c] = a[c, r];
            }
        }

        // Gauss-Jordan: each independent column is eliminated from every other row, so its pivot row ends up
        // holding it alone among the independent columns (dependent columns get coefficient 0).
        var pivotRowOf = new int[m];
        var used = new bool[m];
        for (int column = 0; column < m; column++)
        {
            int pivot = -1;
            for (int r = 0; r < m; r++)
            {
                if (!used[r] && (pivot < 0 || Math.Abs(a[r, column]) > Math.Abs(a[pivot, column])))
                {
                    pivot = r;
                }
            }

            if (pivot < 0 || Math.Abs(a[pivot, column]) <= 1e-12 * scale)
            {
                pivotRowOf[column] = -1;
                continue;
            }

            used[pivot] = true;
            pivotRowOf[column] = pivot;
            for (int r = 0; r < m; r++)
            {
                if (r != pivot && a[r, column] != 0)
                {
                    double factor = a[r, column] / a[pivot, column];
                    for (int c = 0; c <= m; c++)
                    {
                        a[r, c] -= factor * a[pivot, c];
                    }
                }
            }
        }

        var beta = new double[m];
        for (int column = 0; column < m; column++)
        {
            int row = pivotRowOf[column];
            beta[column] = row < 0 ? 0 : a[row, m] / a[row, column];
        }

        return new LeastSquaresReference(beta[..d], beta[d]);
    }

    /// <summary>The mean squared error and R² of this fit on <paramref name="data"/>.</summary>
    public (double MeanSquaredError, double RSquared) Evaluate(IDataView data, string featureColumn = "Features", string labelColumn = "Label")
    {
        (float[][] rows, float[] labels) = Read(data, featureColumn, labelColumn);
        double squared = 0;
        double labelMean = labels.Average(x => (double)x);
        double total = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            double prediction = Bias;
            for (int j = 0; j < Weights.Length; j++)
            {
                prediction += Weights[j] * rows[i][j];
            }

            squared += (prediction - labels[i]) * (prediction - labels[i]);
            total += (labels[i] - labelMean) * (labels[i] - labelMean);
        }

        return (squared / rows.Length, 1 - (squared / total));
    }

    private static (float[][] Rows, float[] Labels) Read(IDataView data, string featureColumn, string labelColumn)
    {
        var rows = new List<float[]>();
        var labels = new List<float>();
        DataViewSchema.Column features = data.Schema[featureColumn];
        DataViewSchema.Column label = data.Schema[labelColumn];
        using DataViewRowCursor cursor = data.GetRowCursor([features, label]);
        ValueGetter<VBuffer<float>> getFeatures = cursor.GetGetter<VBuffer<float>>(features);
        ValueGetter<float> getLabel = cursor.GetGetter<float>(label);
        VBuffer<float> buffer = default;
        float value = 0;
        while (cursor.MoveNext())
        {
            getFeatures(ref buffer);
            getLabel(ref value);
            rows.Add(buffer.DenseValues().ToArray());
            labels.Add(value);
        }

        return ([.. rows], [.. labels]);
    }
}
