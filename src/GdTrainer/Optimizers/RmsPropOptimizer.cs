namespace GdTrainer.Optimizers;

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GdTrainer.Autograd;

/// <summary>
/// RMSprop (PyTorch's <c>torch.optim.RMSprop</c>, whose algorithm box is the specification). For each parameter θ
/// with gradient g:
/// <code>
/// g = g + weightDecay·θ                              (if weightDecay ≠ 0)
/// v = α·v + (1 − α)·g²
/// ṽ = v;   centred: a = α·a + (1 − α)·g,  ṽ = v − a²
/// momentum &gt; 0: b = momentum·b + g / (√ṽ + ε),  θ = θ − lr·b
/// otherwise:     θ = θ − lr·g / (√ṽ + ε)
/// </code>
/// v, a and b start at zero and are per parameter, allocated on its first step; later steps allocate nothing.
/// </summary>
public sealed class RmsPropOptimizer : Optimizer
{
    private readonly Dictionary<Tensor<float>, State> _states = CreateStateTable<State>();

    /// <summary>Creates RMSprop over parameter groups (each may set its own learning rate and weight decay).</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="learningRate">The learning rate of groups that set none (PyTorch <c>lr</c>, default 1e-2); &gt; 0.</param>
    /// <param name="alpha">The smoothing constant of the squared-gradient average (PyTorch <c>alpha</c>, default 0.99); in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator for stability (PyTorch <c>eps</c>, default 1e-8); &gt; 0.</param>
    /// <param name="weightDecay">The L2 penalty added to the gradient, for groups that set none (PyTorch <c>weight_decay</c>, default 0); &gt;= 0.</param>
    /// <param name="momentum">The momentum factor (PyTorch <c>momentum</c>, default 0); &gt;= 0.</param>
    /// <param name="centered">Whether to normalise by an estimate of the gradient's variance instead of its second moment (PyTorch <c>centered</c>, default false).</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (the message names it).</exception>
    /// <exception cref="ArgumentException">A group is invalid.</exception>
    public RmsPropOptimizer(
        IEnumerable<ParameterGroup> groups, float learningRate = 1e-2f, float alpha = 0.99f, float epsilon = 1e-8f, float weightDecay = 0f, float momentum = 0f, bool centered = false)
        : base(groups, learningRate, weightDecay)
    {
        OptimizerChecks.UnitInterval(alpha, nameof(alpha), "alpha (smoothing constant)");
        OptimizerChecks.Positive(epsilon, nameof(epsilon), "epsilon");
        OptimizerChecks.NonNegative(momentum, nameof(momentum), "momentum");
        Alpha = alpha;
        Epsilon = epsilon;
        Momentum = momentum;
        Centered = centered;
    }

    /// <summary>Creates RMSprop over <paramref name="parameters"/> as one group.</summary>
    /// <param name="parameters">Leaf tensors that require grad.</param>
    /// <param name="learningRate">The learning rate (PyTorch <c>lr</c>, default 1e-2); &gt; 0.</param>
    /// <param name="alpha">The smoothing constant (PyTorch <c>alpha</c>, default 0.99); in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator for stability (PyTorch <c>eps</c>, default 1e-8); &gt; 0.</param>
    /// <param name="weightDecay">The L2 penalty added to the gradient (PyTorch <c>weight_decay</c>, default 0); &gt;= 0.</param>
    /// <param name="momentum">The momentum factor (PyTorch <c>momentum</c>, default 0); &gt;= 0.</param>
    /// <param name="centered">Whether to use the centred variant (PyTorch <c>centered</c>, default false).</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (the message names it).</exception>
    /// <exception cref="ArgumentException">A tensor is not a leaf that requires grad.</exception>
    public RmsPropOptimizer(
        IEnumerable<Tensor<float>> parameters, float learningRate = 1e-2f, float alpha = 0.99f, float epsilon = 1e-8f, float weightDecay = 0f, float momentum = 0f, bool centered = false)
        : this([new ParameterGroup(parameters)], learningRate, alpha, epsilon, weightDecay, momentum, centered)
    {
    }

    /// <summary>The smoothing constant α.</summary>
    public float Alpha { get; }

    /// <summary>The term added to the denominator (ε).</summary>
    public float Epsilon { get; }

    /// <summary>The momentum factor (0: none).</summary>
    public float Momentum { get; }

    /// <summary>Whether the centred variant is used.</summary>
    public bool Centered { get; }

    /// <inheritdoc/>
    protected override void Update(Tensor<float> parameter, ReadOnlySpan<float> gradient, float learningRate, float weightDecay)
    {
        if (!_states.TryGetValue(parameter, out State? state))
        {
            state = new State(parameter.Length, Centered, Momentum > 0f);
            _states.Add(parameter, state);
        }

        ref float t = ref MemoryMarshal.GetReference(parameter.Data);
        ref float g = ref MemoryMarshal.GetReference(gradient);
        ref float v = ref MemoryMarshal.GetArrayDataReference(state.SquareAverage);
        bool centered = state.GradientAverage is not null;
        bool momentum = state.MomentumBuffer is not null;
        ref float a = ref centered ? ref MemoryMarshal.GetArrayDataReference(state.GradientAverage!) : ref v;
        ref float b = ref momentum ? ref MemoryMarshal.GetArrayDataReference(state.MomentumBuffer!) : ref v;
        float alpha = Alpha;
        float oneMinusAlpha = 1f - alpha;
        float epsilon = Epsilon;
        float mu = Momentum;
        int n = parameter.Length;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var alphav = new Vector<float>(alpha);
            var c = new Vector<float>(oneMinusAlpha);
            var wd = new Vector<float>(weightDecay);
            var lr = new Vector<float>(learningRate);
            var eps = new Vector<float>(epsilon);
            var muv = new Vector<float>(mu);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> tv = Vector.LoadUnsafe(ref t, (nuint)i);
                Vector<float> gv = Vector.LoadUnsafe(ref g, (nuint)i) + (wd * tv);
                Vector<float> vv = (alphav * Vector.LoadUnsafe(ref v, (nuint)i)) + (c * gv * gv);
                vv.StoreUnsafe(ref v, (nuint)i);
                if (centered)
                {
                    Vector<float> av = (alphav * Vector.LoadUnsafe(ref a, (nuint)i)) + (c * gv);
                    av.StoreUnsafe(ref a, (nuint)i);
                    vv -= av * av;
                }

                Vector<float> direction = gv / (Vector.SquareRoot(vv) + eps);
                if (momentum)
                {
                    direction = (muv * Vector.LoadUnsafe(ref b, (nuint)i)) + direction;
                    direction.StoreUnsafe(ref b, (nuint)i);
                }

                (tv - (lr * direction)).StoreUnsafe(ref t, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            ref float ti = ref Unsafe.Add(ref t, i);
            float gi = Unsafe.Add(ref g, i) + (weightDecay * ti);
            ref float vi = ref Unsafe.Add(ref v, i);
            vi = (alpha * vi) + (oneMinusAlpha * gi * gi);
            float variance = vi;
            if (centered)
            {
                ref float ai = ref Unsafe.Add(ref a, i);
                ai = (alpha * ai) + (oneMinusAlpha * gi);
                variance -= ai * ai;
            }

            float direction = gi / (MathF.Sqrt(variance) + epsilon);
            if (momentum)
            {
                ref float bi = ref Unsafe.Add(ref b, i);
                bi = (mu * bi) + direction;
                direction = bi;
            }

            ti -= learningRate * direction;
        }
    }

    /// <summary>The per-parameter state (PyTorch <c>square_avg</c>, <c>grad_avg</c>, <c>momentum_buffer</c>).</summary>
    private sealed class State(int length, bool centered, bool momentum)
    {
        public readonly float[] SquareAverage = new float[length];
        public readonly float[]? GradientAverage = centered ? new float[length] : null;
        public readonly float[]? MomentumBuffer = momentum ? new float[length] : null;
    }
}
