using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;

namespace GdTrainer.Autograd;

/// <summary>
/// PyTorch's <c>cross_entropy</c> over logits <c>x</c> of shape <c>[n, k]</c> with class-index targets
/// <c>c_i</c> (given as integral values of a <c>[n]</c> tensor), class weights <c>a</c> (all 1 when none),
/// label smoothing <c>eps</c> and example weights <c>s</c> (all 1 when none), with <c>reduction='mean'</c>:
/// <code>
/// -log q_ij = logsumexp_j(x_i) - x_ij                       (stable: the row maximum is subtracted first)
/// l_i       = (1 - eps) a_ci (-log q_ici) + (eps / k) sum_j a_j (-log q_ij)
/// loss      = sum_i s_i l_i / sum_i s_i a_ci
/// </code>
/// The denominator is PyTorch's: the class weights of the targets (also for the smoothing term), times
/// the example weights. The gradient, saved during the forward pass, is
/// <c>dl/dx_ij = s_i [(1 - eps) a_ci (q_ij - [j = c_i]) + (eps / k) (A q_ij - a_j)] / denominator</c>
/// with <c>A = sum_j a_j</c>. Targets are class labels: no gradient flows to them.
/// </summary>
internal sealed class CrossEntropyLossNode<T> : LossNode<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const string LossName = "CrossEntropyLoss";

    private CrossEntropyLossNode(Tensor<T> logits, Tensor<T> classIndices, T[] logitsGradient)
        : base(logits, classIndices, logitsGradient, targetGradient: null)
    {
    }

    internal override string Name => LossName;

    internal static Tensor<T> Forward(Tensor<T> logits, Tensor<T> classIndices, Tensor<T>? weights, T labelSmoothing, T[]? classWeightArray)
    {
        if (logits.Rank != 2)
        {
            throw new ArgumentException(
                $"{LossName}: the logits have shape {Shapes.Format(logits.Shape)}; they must have shape [n, k] (one row of k class scores per example).",
                nameof(logits));
        }

        int rows = logits.Shape[0];
        int classes = logits.Shape[1];
        if (classIndices.Rank != 1 || classIndices.Shape[0] != rows)
        {
            throw new ArgumentException(
                $"{LossName}: the logits have shape {Shapes.Format(logits.Shape)} but the class indices have shape {Shapes.Format(classIndices.Shape)}; they must have shape [{rows}] (one class index per row).",
                nameof(classIndices));
        }

        if (classIndices.RequiresGrad)
        {
            throw new ArgumentException($"{LossName}: the class indices are labels, not differentiable values; pass a tensor that does not require grad.", nameof(classIndices));
        }

        if (!(labelSmoothing >= T.Zero && labelSmoothing <= T.One))
        {
            throw new ArgumentOutOfRangeException(
                nameof(labelSmoothing), labelSmoothing, $"{LossName}: label smoothing must be between 0 and 1 (PyTorch's range); 0 turns it off.");
        }

        bool hasClassWeights = classWeightArray is not null;
        ReadOnlySpan<T> classWeights = classWeightArray;
        if (hasClassWeights)
        {
            CheckClassWeights(classWeights, classes);
        }

        if (weights is not null)
        {
            _ = CheckWeights(LossName, weights, classIndices, allowElementWeights: false, out _);
        }

        ReadOnlySpan<T> indices = classIndices.Data;
        for (int i = 0; i < rows; i++)
        {
            T index = indices[i];
            if (!(index >= T.Zero && index < T.CreateTruncating(classes) && T.IsInteger(index)))
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"{LossName}: row {i} has class index {index}; class indices must be whole numbers from 0 to {classes - 1} (the logits have {classes} columns)."),
                    nameof(classIndices));
            }
        }

        T[]? gradient = RentGradient(logits);
        ReadOnlySpan<T> x = logits.Data;
        ReadOnlySpan<T> s = weights is null ? default : weights.Data;
        T smoothingPerClass = labelSmoothing / T.CreateTruncating(classes);
        T keep = T.One - labelSmoothing;
        T classWeightTotal = hasClassWeights ? TensorPrimitives.Sum(classWeights) : T.CreateTruncating(classes);
        bool smoothing = labelSmoothing > T.Zero;

        // exp(x - max) of a row, computed once with the SIMD kernels: in the row's gradient slot when the
        // gradient is needed (it becomes the softmax there), else in one pooled row.
        T[]? rowScratch = gradient is null ? RentScratch(classes) : null;

        // Numerator and denominator accumulate in double: float running sums over a batch lose digits.
        double numerator = 0;
        double denominator = 0;
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<T> row = x.Slice(i * classes, classes);
            int target = int.CreateTruncating(indices[i]);
            T exampleWeight = weights is null ? T.One : s[i];
            T targetWeight = hasClassWeights ? classWeights[target] : T.One;

            T max = TensorPrimitives.Max(row);
            Span<T> exps = gradient is not null ? gradient.AsSpan(i * classes, classes) : rowScratch.AsSpan(0, classes);
            TensorPrimitives.Subtract(row, max, exps);
            TensorPrimitives.Exp(exps, exps);
            T sumOfExps = TensorPrimitives.Sum<T>(exps);

            // -log q_ij = (max - x_ij) + log(sum exp(x - max)): every term is finite for any finite logits.
            T logSum = T.Log(sumOfExps);
            T rowLoss = keep * targetWeight * (max - row[target] + logSum);
            if (smoothing)
            {
                T smooth = T.Zero;
                for (int j = 0; j < classes; j++)
                {
                    smooth += (hasClassWeights ? classWeights[j] : T.One) * (max - row[j] + logSum);
                }

                rowLoss += smoothingPerClass * smooth;
            }

            numerator += double.CreateTruncating(exampleWeight * rowLoss);
            denominator += double.CreateTruncating(exampleWeight * targetWeight);

            if (gradient is not null)
            {
                // g = s [((1 - eps) a_c + (eps / k) A) q - (eps / k) a - (1 - eps) a_c onehot(c)], q = exps / sum.
                Span<T> g = exps;
                T nllScale = keep * targetWeight;
                T probabilityScale = nllScale + (smoothingPerClass * classWeightTotal);
                TensorPrimitives.Multiply(g, probabilityScale * exampleWeight / sumOfExps, g);
                if (smoothing && hasClassWeights)
                {
                    TensorPrimitives.MultiplyAdd(classWeights, -smoothingPerClass * exampleWeight, g, g);
                }
                else if (smoothing)
                {
                    TensorPrimitives.Subtract(g, smoothingPerClass * exampleWeight, g);
                }

                g[target] -= nllScale * exampleWeight;
            }
        }

        if (rowScratch is not null)
        {
            ReturnScratch(rowScratch);
        }

        if (!(denominator > 0))
        {
            if (gradient is not null)
            {
                ReturnScratch(gradient);
            }

            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{LossName}: the weights of this batch (example weight times the class weight of each row's target) sum to {denominator}; the weighted mean needs a positive sum. Check the class weights of the classes present in the batch."),
                weights is null ? "classWeights" : nameof(weights));
        }

        if (gradient is not null)
        {
            TensorPrimitives.Multiply(gradient.AsSpan(0, logits.Length), T.CreateTruncating(1 / denominator), gradient.AsSpan(0, logits.Length));
        }

        T loss = T.CreateTruncating(numerator / denominator);
        Node<T>? node = gradient is not null ? new CrossEntropyLossNode<T>(logits, classIndices, gradient) : null;
        return new Tensor<T>(TensorMemory<T>.Scalar(loss), Shapes.Scalar, node);
    }

    private static void CheckClassWeights(ReadOnlySpan<T> classWeights, int classes)
    {
        if (classWeights.Length != classes)
        {
            throw new ArgumentException(
                $"{LossName}: {classWeights.Length} class weights were given but the logits have {classes} classes (columns); give one weight per class.",
                "classWeights");
        }

        for (int j = 0; j < classWeights.Length; j++)
        {
            if (!T.IsFinite(classWeights[j]) || classWeights[j] < T.Zero)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"{LossName}: class weight {j} is {classWeights[j]}; class weights must be finite and non-negative."),
                    "classWeights");
            }
        }
    }
}
