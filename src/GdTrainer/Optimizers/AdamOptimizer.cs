namespace GdTrainer.Optimizers;

using GdTrainer.Autograd;

/// <summary>
/// Adam (PyTorch's <c>torch.optim.Adam</c>, whose algorithm box is the specification), with weight decay as an
/// L2 penalty added to the gradient. For each parameter θ with gradient g, its own step count t:
/// <code>
/// g = g + weightDecay·θ                     (if weightDecay ≠ 0)
/// m = β1·m + (1 − β1)·g;   v = β2·v + (1 − β2)·g²
/// vmax = max(vmax, v)                        (amsgrad; then v is replaced by vmax below)
/// θ = θ − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
/// </code>
/// m, v (and vmax) start at zero and are per parameter, allocated on its first step; later steps allocate nothing.
/// For decoupled weight decay use <see cref="AdamWOptimizer"/>.
/// </summary>
public sealed class AdamOptimizer : Optimizer
{
    private readonly Dictionary<Tensor<float>, AdamState> _states = CreateStateTable<AdamState>();

    /// <summary>Creates Adam over parameter groups (each may set its own learning rate and weight decay).</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="learningRate">The learning rate of groups that set none (PyTorch <c>lr</c>, default 1e-3); &gt; 0.</param>
    /// <param name="beta1">The decay of the first-moment average (PyTorch <c>betas[0]</c>, default 0.9); in [0, 1).</param>
    /// <param name="beta2">The decay of the second-moment average (PyTorch <c>betas[1]</c>, default 0.999); in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator for stability (PyTorch <c>eps</c>, default 1e-8); &gt; 0.</param>
    /// <param name="weightDecay">The L2 penalty added to the gradient, for groups that set none (PyTorch <c>weight_decay</c>, default 0); &gt;= 0.</param>
    /// <param name="amsgrad">Whether to use the AMSGrad variant (PyTorch <c>amsgrad</c>, default false).</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (the message names it).</exception>
    /// <exception cref="ArgumentException">A group is invalid.</exception>
    public AdamOptimizer(
        IEnumerable<ParameterGroup> groups, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f, bool amsgrad = false)
        : base(groups, learningRate, weightDecay)
    {
        OptimizerChecks.UnitInterval(beta1, nameof(beta1), "beta1 (decay of the first moment)");
        OptimizerChecks.UnitInterval(beta2, nameof(beta2), "beta2 (decay of the second moment)");
        OptimizerChecks.Positive(epsilon, nameof(epsilon), "epsilon");
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        AmsGrad = amsgrad;
    }

    /// <summary>Creates Adam over <paramref name="parameters"/> as one group.</summary>
    /// <param name="parameters">Leaf tensors that require grad.</param>
    /// <param name="learningRate">The learning rate (PyTorch <c>lr</c>, default 1e-3); &gt; 0.</param>
    /// <param name="beta1">The decay of the first-moment average (PyTorch <c>betas[0]</c>, default 0.9); in [0, 1).</param>
    /// <param name="beta2">The decay of the second-moment average (PyTorch <c>betas[1]</c>, default 0.999); in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator for stability (PyTorch <c>eps</c>, default 1e-8); &gt; 0.</param>
    /// <param name="weightDecay">The L2 penalty added to the gradient (PyTorch <c>weight_decay</c>, default 0); &gt;= 0.</param>
    /// <param name="amsgrad">Whether to use the AMSGrad variant (PyTorch <c>amsgrad</c>, default false).</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (the message names it).</exception>
    /// <exception cref="ArgumentException">A tensor is not a leaf that requires grad.</exception>
    public AdamOptimizer(
        IEnumerable<Tensor<float>> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f, bool amsgrad = false)
        : this([new ParameterGroup(parameters)], learningRate, beta1, beta2, epsilon, weightDecay, amsgrad)
    {
    }

    /// <summary>The decay of the first-moment average (β1).</summary>
    public float Beta1 { get; }

    /// <summary>The decay of the second-moment average (β2).</summary>
    public float Beta2 { get; }

    /// <summary>The term added to the denominator (ε).</summary>
    public float Epsilon { get; }

    /// <summary>Whether the AMSGrad variant is used.</summary>
    public bool AmsGrad { get; }

    /// <inheritdoc/>
    protected override void Update(Tensor<float> parameter, ReadOnlySpan<float> gradient, float learningRate, float weightDecay)
    {
        if (!_states.TryGetValue(parameter, out AdamState? state))
        {
            state = new AdamState(parameter.Length, AmsGrad);
            _states.Add(parameter, state);
        }

        AdamKernel.Step(parameter.Data, gradient, state, learningRate, Beta1, Beta2, Epsilon, l2: weightDecay, decay: 1f);
    }

    /// <summary>
    /// With a gradient only sparse products wrote, Adam takes PyTorch's <c>SparseAdam</c> form: only the touched rows' moments and
    /// values move, and the L2 penalty is added to those rows' gradient only. Dense Adam would decay every row's moments every
    /// step and keep moving rows no batch touched; the lazy form is the usual choice for embeddings, and a step costs the
    /// batch's non-zeros. AMSGrad takes the dense step.
    /// </summary>
    private protected override bool UpdateRows(Tensor<float> parameter, ReadOnlySpan<float> gradient, ReadOnlySpan<int> rows, int rowLength, float learningRate, float weightDecay)
    {
        if (AmsGrad)
        {
            return false;
        }

        if (!_states.TryGetValue(parameter, out AdamState? state))
        {
            state = new AdamState(parameter.Length, AmsGrad);
            _states.Add(parameter, state);
        }

        AdamKernel.StepRows(parameter.Data, gradient, rows, rowLength, state, learningRate, Beta1, Beta2, Epsilon, l2: weightDecay, decay: 1f);
        return true;
    }
}
