namespace GdTrainer.Training;

using GdTrainer.Autograd;
using GdTrainer.Models;

/// <summary>
/// The squared error of the linear model summed in double, predictions included: near the optimum the float computation's
/// rounding (~5e-9 relative on a few hundred rows) hides the improvements the convergence rule must see to bring the weights
/// within 1e-4 of the optimum, so the exact loss passes of the linear model under the mean squared error use this.
/// </summary>
internal static class LinearSquaredError
{
    /// <summary><c>sum(w_i (b + x_i . weights - y_i)^2)</c> over the batch, in double.</summary>
    internal static double Sum(LinearModel model, TrainingBatch batch)
    {
        ReadOnlySpan<float> weights = model.Weights.Data;
        double bias = model.Bias.Data[0];
        if (batch.SparseFeatures is { } sparse)
        {
            return SparseSum(weights, model.Weights.PendingRows?.Scale ?? 1.0, bias, sparse, batch);
        }

        ReadOnlySpan<float> x = batch.Features!.Data;
        ReadOnlySpan<float> y = batch.Labels.Data;
        ReadOnlySpan<float> w = batch.Weights is null ? default : batch.Weights.Data;
        int d = weights.Length;
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double residual = bias - y[i];
            ReadOnlySpan<float> row = x.Slice(i * d, d);
            for (int j = 0; j < d; j++)
            {
                residual += (double)row[j] * weights[j];
            }

            sum += (w.IsEmpty ? 1.0 : w[i]) * residual * residual;
        }

        return sum;
    }

    // scale: SGD's lazily owed decay (LazyDecay), by which the stored weights are multiplied.
    private static double SparseSum(ReadOnlySpan<float> weights, double scale, double bias, SparseRows x, TrainingBatch batch)
    {
        ReadOnlySpan<float> y = batch.Labels.Data;
        ReadOnlySpan<float> w = batch.Weights is null ? default : batch.Weights.Data;
        if (x.Offsets is { } offsets)
        {
            for (int c = 0; c < offsets.Columns.Length; c++)
            {
                bias -= (double)offsets.Values[c] * (weights[offsets.Columns[c]] * scale);
            }
        }

        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double residual = bias - y[i];
            x.Row(i, out ReadOnlySpan<int> indices, out ReadOnlySpan<float> values);
            for (int p = 0; p < indices.Length; p++)
            {
                residual += (double)values[p] * (weights[indices[p]] * scale);
            }

            sum += (w.IsEmpty ? 1.0 : w[i]) * residual * residual;
        }

        return sum;
    }
}
