namespace GdTrainer.Optimizers;

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GdTrainer.Autograd;

/// <summary>
/// Adagrad (PyTorch's <c>torch.optim.Adagrad</c>, whose algorithm box is the specification). For each parameter θ
/// with gradient g and its own step count t:
/// <code>
/// lr_t = lr / (1 + (t − 1)·learningRateDecay)
/// g = g + weightDecay·θ                   (if weightDecay ≠ 0)
/// s = s + g²                              (s starts at initialAccumulatorValue)
/// θ = θ − lr_t·g / (√s + ε)
/// </code>
/// The sum s is per parameter, allocated on its first step; later steps allocate nothing.
/// </summary>
public sealed class AdagradOptimizer : Optimizer
{
    private readonly Dictionary<Tensor<float>, State> _states = CreateStateTable<State>();

    /// <summary>Creates Adagrad over parameter groups (each may set its own learning rate and weight decay).</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="learningRate">The learning rate of groups that set none (PyTorch <c>lr</c>, default 1e-2); &gt; 0.</param>
    /// <param name="learningRateDecay">The decay of the learning rate with the step count (PyTorch <c>lr_decay</c>, default 0); &gt;= 0.</param>
    /// <param name="weightDecay">The L2 penalty added to the gradient, for groups that set none (PyTorch <c>weight_decay</c>, default 0); &gt;= 0.</param>
    /// <param name="initialAccumulatorValue">The starting value of the sum of squared gradients (PyTorch <c>initial_accumulator_value</c>, default 0); &gt;= 0.</param>
    /// <param name="epsilon">Added to the denominator for stability (PyTorch <c>eps</c>, default 1e-10); &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (the message names it).</exception>
    /// <exception cref="ArgumentException">A group is invalid.</exception>
    public AdagradOptimizer(
        IEnumerable<ParameterGroup> groups, float learningRate = 1e-2f, float learningRateDecay = 0f, float weightDecay = 0f, float initialAccumulatorValue = 0f, float epsilon = 1e-10f)
        : base(groups, learningRate, weightDecay)
    {
        OptimizerChecks.NonNegative(learningRateDecay, nameof(learningRateDecay), "learning-rate decay");
        OptimizerChecks.NonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue), "initial accumulator value");
        OptimizerChecks.Positive(epsilon, nameof(epsilon), "epsilon");
        LearningRateDecay = learningRateDecay;
        InitialAccumulatorValue = initialAccumulatorValue;
        Epsilon = epsilon;
    }

    /// <summary>Creates Adagrad over <paramref name="parameters"/> as one group.</summary>
    /// <param name="parameters">Leaf tensors that require grad.</param>
    /// <param name="learningRate">The learning rate (PyTorch <c>lr</c>, default 1e-2); &gt; 0.</param>
    /// <param name="learningRateDecay">The decay of the learning rate with the step count (PyTorch <c>lr_decay</c>, default 0); &gt;= 0.</param>
    /// <param name="weightDecay">The L2 penalty added to the gradient (PyTorch <c>weight_decay</c>, default 0); &gt;= 0.</param>
    /// <param name="initialAccumulatorValue">The starting value of the sum of squared gradients (PyTorch <c>initial_accumulator_value</c>, default 0); &gt;= 0.</param>
    /// <param name="epsilon">Added to the denominator for stability (PyTorch <c>eps</c>, default 1e-10); &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (the message names it).</exception>
    /// <exception cref="ArgumentException">A tensor is not a leaf that requires grad.</exception>
    public AdagradOptimizer(
        IEnumerable<Tensor<float>> parameters, float learningRate = 1e-2f, float learningRateDecay = 0f, float weightDecay = 0f, float initialAccumulatorValue = 0f, float epsilon = 1e-10f)
        : this([new ParameterGroup(parameters)], learningRate, learningRateDecay, weightDecay, initialAccumulatorValue, epsilon)
    {
    }

    /// <summary>The decay of the learning rate with the step count.</summary>
    public float LearningRateDecay { get; }

    /// <summary>The starting value of the sum of squared gradients.</summary>
    public float InitialAccumulatorValue { get; }

    /// <summary>The term added to the denominator (ε).</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    protected override void Update(Tensor<float> parameter, ReadOnlySpan<float> gradient, float learningRate, float weightDecay)
    {
        if (!_states.TryGetValue(parameter, out State? state))
        {
            state = new State(parameter.Length, InitialAccumulatorValue);
            _states.Add(parameter, state);
        }

        state.Step++;
        float clr = (float)(learningRate / (1.0 + ((state.Step - 1) * (double)LearningRateDecay)));
        float epsilon = Epsilon;
        ref float t = ref MemoryMarshal.GetReference(parameter.Data);
        ref float g = ref MemoryMarshal.GetReference(gradient);
        ref float s = ref MemoryMarshal.GetArrayDataReference(state.Sum);
        int n = parameter.Length;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var wd = new Vector<float>(weightDecay);
            var lr = new Vector<float>(clr);
            var eps = new Vector<float>(epsilon);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> tv = Vector.LoadUnsafe(ref t, (nuint)i);
                Vector<float> gv = Vector.LoadUnsafe(ref g, (nuint)i) + (wd * tv);
                Vector<float> sv = Vector.LoadUnsafe(ref s, (nuint)i) + (gv * gv);
                sv.StoreUnsafe(ref s, (nuint)i);
                (tv - (lr * gv / (Vector.SquareRoot(sv) + eps))).StoreUnsafe(ref t, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            ref float ti = ref Unsafe.Add(ref t, i);
            float gi = Unsafe.Add(ref g, i) + (weightDecay * ti);
            ref float si = ref Unsafe.Add(ref s, i);
            si += gi * gi;
            ti -= clr * gi / (MathF.Sqrt(si) + epsilon);
        }
    }

    /// <summary>
    /// With a gradient only sparse products wrote and no weight decay, Adagrad updates the touched rows alone, as PyTorch's
    /// sparse Adagrad does: a row whose gradient is 0 keeps its sum and its value, so this equals the dense step. With weight
    /// decay every row's gradient is non-zero, and the step is dense.
    /// </summary>
    private protected override bool UpdateRows(Tensor<float> parameter, ReadOnlySpan<float> gradient, ReadOnlySpan<int> rows, int rowLength, float learningRate, float weightDecay)
    {
        if (weightDecay != 0f)
        {
            return false;
        }

        if (!_states.TryGetValue(parameter, out State? state))
        {
            state = new State(parameter.Length, InitialAccumulatorValue);
            _states.Add(parameter, state);
        }

        state.Step++;
        float clr = (float)(learningRate / (1.0 + ((state.Step - 1) * (double)LearningRateDecay)));
        Span<float> theta = parameter.Data;
        foreach (int row in rows)
        {
            int start = row * rowLength;
            for (int i = start; i < start + rowLength; i++)
            {
                float g = gradient[i];
                state.Sum[i] += g * g;
                theta[i] -= clr * g / (MathF.Sqrt(state.Sum[i]) + Epsilon);
            }
        }

        return true;
    }

    /// <summary>The per-parameter state (PyTorch <c>state['step']</c> and <c>state['sum']</c>).</summary>
    private sealed class State
    {
        public readonly float[] Sum;
        public int Step;

        public State(int length, float initialAccumulatorValue)
        {
            Sum = new float[length];
            Array.Fill(Sum, initialAccumulatorValue);
        }
    }
}
