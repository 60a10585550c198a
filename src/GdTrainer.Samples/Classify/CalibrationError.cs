using Microsoft.ML;
using Microsoft.ML.Data;

namespace GdTrainer.Samples.Classify;

/// <summary>
/// The expected calibration error (ECE; Naeini et al. 2015, Guo et al. 2017): the predicted probabilities are put in
/// <see cref="Bins"/> equal-width bins on [0, 1], and the error is the row-weighted mean, over the bins, of
/// <c>|mean predicted probability - observed frequency|</c>, i.e. <c>Σ_b |Σ_{i in b} (p_i - y_i)| / n</c>. 0 is perfectly calibrated.
/// For a binary classifier <c>p</c> is the probability of the positive class and <c>y</c> the 0/1 label; for a multiclass one
/// (top-label ECE) <c>p</c> is the probability of the predicted class and <c>y</c> whether that prediction is right.
/// </summary>
public static class CalibrationError
{
    /// <summary>The number of equal-width probability bins (Guo et al.'s choice).</summary>
    public const int Bins = 10;

    /// <summary>The ECE of positive-class probabilities against Boolean labels.</summary>
    /// <exception cref="ArgumentException">The lists differ in length or are empty, or a probability is outside [0, 1].</exception>
    public static double Binary(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        if (probabilities.Count != labels.Count || probabilities.Count == 0)
        {
            throw new ArgumentException($"The ECE needs one label per probability and at least one row, but got {probabilities.Count} probabilities and {labels.Count} labels.", nameof(labels));
        }

        return Binned(probabilities, i => labels[i] ? 1 : 0);
    }

    /// <summary>The top-label ECE of per-class probabilities (<c>[row][class]</c>) against 0-based class indices.</summary>
    /// <exception cref="ArgumentException">The lists differ in length or are empty, or a row has no classes.</exception>
    public static double TopLabel(IReadOnlyList<float[]> classProbabilities, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(classProbabilities);
        ArgumentNullException.ThrowIfNull(labels);
        if (classProbabilities.Count != labels.Count || classProbabilities.Count == 0)
        {
            throw new ArgumentException($"The ECE needs one label per row of probabilities and at least one row, but got {classProbabilities.Count} rows and {labels.Count} labels.", nameof(labels));
        }

        var confidence = new double[classProbabilities.Count];
        var correct = new int[classProbabilities.Count];
        for (int i = 0; i < confidence.Length; i++)
        {
            float[] row = classProbabilities[i];
            if (row.Length == 0)
            {
                throw new ArgumentException($"Row {i} has no class probabilities.", nameof(classProbabilities));
            }

            int predicted = 0;
            for (int c = 1; c < row.Length; c++)
            {
                predicted = row[c] > row[predicted] ? c : predicted; // The first class on a tie, as ML.NET's PredictedLabel.
            }

            confidence[i] = row[predicted];
            correct[i] = predicted == labels[i] ? 1 : 0;
        }

        return Binned(confidence, i => correct[i]);
    }

    /// <summary>
    /// The ECE of a scored data view: binary when it has a Boolean <c>Label</c> and a <c>Probability</c> column, top-label
    /// multiclass when it has a key <c>Label</c> and a <c>Score</c> vector of class probabilities (rows with a missing key are left out).
    /// </summary>
    /// <exception cref="ArgumentException">The view has neither pair of columns.</exception>
    public static double Of(IDataView scored)
    {
        ArgumentNullException.ThrowIfNull(scored);
        DataViewSchema schema = scored.Schema;
        if (schema.GetColumnOrNull("Label") is { Type: BooleanDataViewType } && schema.GetColumnOrNull("Probability") is { })
        {
            double[] probabilities = [.. scored.GetColumn<float>("Probability").Select(p => (double)p)];
            bool[] labels = [.. scored.GetColumn<bool>("Label")];
            return Binary(probabilities, labels);
        }

        if (schema.GetColumnOrNull("Label") is { Type: KeyDataViewType } label && schema.GetColumnOrNull("Score") is { Type: VectorDataViewType } score)
        {
            var rows = new List<float[]>();
            var keys = new List<int>();
            using DataViewRowCursor cursor = scored.GetRowCursor([label, score]);
            ValueGetter<uint> getLabel = cursor.GetGetter<uint>(label);
            ValueGetter<VBuffer<float>> getScore = cursor.GetGetter<VBuffer<float>>(score);
            uint key = 0;
            VBuffer<float> values = default;
            while (cursor.MoveNext())
            {
                getLabel(ref key);
                getScore(ref values);
                if (key > 0)
                {
                    rows.Add([.. values.DenseValues()]); // A copy: the cursor reuses the buffer.
                    keys.Add((int)key - 1);
                }
            }

            return TopLabel(rows, keys);
        }

        throw new ArgumentException("The scored data needs a Boolean 'Label' and a 'Probability' column (binary), or a key 'Label' and a 'Score' vector (multiclass).", nameof(scored));
    }

    private static double Binned(IReadOnlyList<double> probabilities, Func<int, int> outcome)
    {
        var gap = new double[Bins];
        for (int i = 0; i < probabilities.Count; i++)
        {
            double p = probabilities[i];
            if (!(p >= 0 && p <= 1))
            {
                throw new ArgumentException($"Probability {i} is {p}, outside [0, 1].", nameof(probabilities));
            }

            gap[Math.Min((int)(p * Bins), Bins - 1)] += p - outcome(i);
        }

        return gap.Sum(Math.Abs) / probabilities.Count;
    }
}
