namespace GdTrainer.Losses;

using GdTrainer.Autograd;

/// <summary>
/// The cross-entropy of logits against class indices (PyTorch's
/// <c>nn.CrossEntropyLoss(weight, label_smoothing)</c> with class-index targets and <c>reduction='mean'</c>),
/// through a stable log-softmax: finite and exact for logits of any finite size (e.g. around ±1e4).
/// </summary>
/// <remarks>
/// <para>
/// Predictions are logits <c>[n, k]</c>; targets are the class of each row as a float tensor <c>[n]</c> of
/// whole numbers 0..k-1; weights are <c>[n]</c>.
/// </para>
/// <para>
/// With class weights <c>a</c> (all 1 when none), label smoothing <c>eps</c>, the softmax <c>q_i</c> of row i and its
/// class <c>c_i</c>: <c>l_i = (1 - eps) a[c_i] (-log q_i[c_i]) + (eps / k) sum_j a[j] (-log q_i[j])</c>, and the loss
/// is <c>sum_i l_i / sum_i a[c_i]</c>: PyTorch divides by the class weights of the targets (also for the smoothing
/// term), not by n. Example weights <c>s</c> multiply the class weights: the loss becomes
/// <c>sum_i s_i l_i / sum_i s_i a[c_i]</c>, which is PyTorch's loss when every <c>s_i</c> is 1. Label smoothing
/// replaces the one-hot target by <c>(1 - eps) onehot + eps / k</c>.
/// </para>
/// <para>One fused graph node (<see cref="Functional.CrossEntropy{T}"/>); no gradient flows to the class indices.</para>
/// </remarks>
public sealed class CrossEntropyLoss : Loss
{
    private readonly float[]? _classWeights;

    /// <summary>Creates the loss.</summary>
    /// <param name="labelSmoothing">PyTorch's <c>label_smoothing</c>, in [0, 1]. Default: 0 (none).</param>
    /// <param name="classWeights">PyTorch's <c>weight</c>: one finite non-negative weight per class (copied); the number of classes is checked against the logits when the loss is computed. Default: null (all 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A class weight is negative, NaN or infinite, or there are none.</exception>
    public CrossEntropyLoss(float labelSmoothing = 0f, float[]? classWeights = null)
    {
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "CrossEntropyLoss: label smoothing must be between 0 and 1 (PyTorch's range); 0 turns it off.");
        }

        if (classWeights is not null)
        {
            if (classWeights.Length == 0)
            {
                throw new ArgumentException("CrossEntropyLoss: the class weights are empty; give one weight per class, or null for all 1.", nameof(classWeights));
            }

            for (int j = 0; j < classWeights.Length; j++)
            {
                if (!(float.IsFinite(classWeights[j]) && classWeights[j] >= 0f))
                {
                    throw new ArgumentException(
                        FormattableString.Invariant($"CrossEntropyLoss: class weight {j} is {classWeights[j]}; class weights must be finite and non-negative."),
                        nameof(classWeights));
                }
            }

            _classWeights = (float[])classWeights.Clone();
        }

        LabelSmoothing = labelSmoothing;
    }

    /// <summary>The label smoothing in [0, 1].</summary>
    public float LabelSmoothing { get; }

    /// <summary>The class weights (a copy), or null when every class weighs 1.</summary>
    public IReadOnlyList<float>? ClassWeights => _classWeights;

    /// <inheritdoc/>
    /// <param name="predictions">Logits, shape <c>[n, k]</c>.</param>
    /// <param name="targets">Class indices, shape <c>[n]</c>, whole numbers from 0 to k - 1.</param>
    /// <param name="weights">Optional example weights, shape <c>[n]</c>; they multiply the class weights.</param>
    /// <exception cref="ArgumentException">The shapes do not fit (the message names both), a class index is not a whole number in [0, k) (the message names the row and the value), the number of class weights is not k, a weight is invalid, or the batch's weights sum to 0.</exception>
    public override Tensor<float> Compute(Tensor<float> predictions, Tensor<float> targets, Tensor<float>? weights = null) =>
        Functional.CrossEntropy(predictions, targets, weights, LabelSmoothing, _classWeights);

    /// <inheritdoc/>
    /// <remarks>
    /// The softmax cross-entropy's Hessian in the logits is <c>diag(q) - q q^T</c>, whose largest eigenvalue is at most 1/2,
    /// against 2 for the squared error: a quarter of the least-squares curvature, times the spread of the class weights (the
    /// loss is normalised by the weights of the rows' classes).
    /// </remarks>
    internal override float? LinearRateFactor
    {
        get
        {
            if (_classWeights is not { } weights)
            {
                return 4f;
            }

            float largest = 0f;
            float smallest = float.PositiveInfinity;
            foreach (float weight in weights)
            {
                largest = Math.Max(largest, weight);
                smallest = weight > 0f ? Math.Min(smallest, weight) : smallest;
            }

            return largest > 0f && float.IsFinite(smallest) ? 4f * smallest / largest : null;
        }
    }
}
