namespace GdTrainer.Optimizers;

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GdTrainer.Autograd;

/// <summary>
/// Stochastic gradient descent with optional momentum (PyTorch's <c>torch.optim.SGD</c>, whose algorithm box is
/// the specification). For each parameter θ with gradient g, step t:
/// <code>
/// g = g + weightDecay·θ                               (if weightDecay ≠ 0)
/// b = g  (t = 1);  b = momentum·b + (1 − dampening)·g  (t &gt; 1)   (if momentum ≠ 0)
/// g = g + momentum·b  (nesterov)  or  g = b           (if momentum ≠ 0)
/// θ = θ − lr·g
/// </code>
/// The momentum buffer is per parameter, created on its first step as a copy of the gradient (as PyTorch does).
/// Steps allocate nothing after each parameter's first and leave the gradient untouched.
/// </summary>
public sealed class SgdOptimizer : Optimizer
{
    private readonly Dictionary<Tensor<float>, float[]> _momentumBuffers = CreateStateTable<float[]>();

    /// <summary>Creates SGD over parameter groups (each may set its own learning rate and weight decay).</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="learningRate">The learning rate of groups that set none (PyTorch <c>lr</c>, default 1e-3); &gt; 0.</param>
    /// <param name="weightDecay">The L2 penalty added to the gradient, for groups that set none (PyTorch <c>weight_decay</c>, default 0); &gt;= 0.</param>
    /// <param name="momentum">The momentum factor (PyTorch <c>momentum</c>, default 0: no momentum, no state); &gt;= 0.</param>
    /// <param name="dampening">The dampening of the momentum (PyTorch <c>dampening</c>, default 0); in [0, 1].</param>
    /// <param name="nesterov">Whether to use Nesterov momentum (PyTorch <c>nesterov</c>, default false); needs momentum &gt; 0 and dampening = 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (the message names it).</exception>
    /// <exception cref="ArgumentException">Nesterov is asked for without momentum or with dampening, or a group is invalid.</exception>
    public SgdOptimizer(
        IEnumerable<ParameterGroup> groups, float learningRate = 1e-3f, float weightDecay = 0f, float momentum = 0f, float dampening = 0f, bool nesterov = false)
        : base(groups, learningRate, weightDecay)
    {
        OptimizerChecks.NonNegative(momentum, nameof(momentum), "momentum");
        if (!(dampening >= 0f && dampening <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(dampening), dampening, $"The dampening must be in [0, 1], but was {OptimizerChecks.Format(dampening)}.");
        }

        if (nesterov && (momentum <= 0f || dampening != 0f))
        {
            throw new ArgumentException(
                $"Nesterov momentum requires a momentum > 0 and zero dampening, but momentum is {OptimizerChecks.Format(momentum)} and dampening {OptimizerChecks.Format(dampening)}.",
                nameof(nesterov));
        }

        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
    }

    /// <summary>Creates SGD over <paramref name="parameters"/> as one group.</summary>
    /// <param name="parameters">Leaf tensors that require grad.</param>
    /// <param name="learningRate">The learning rate (PyTorch <c>lr</c>, default 1e-3); &gt; 0.</param>
    /// <param name="weightDecay">The L2 penalty added to the gradient (PyTorch <c>weight_decay</c>, default 0); &gt;= 0.</param>
    /// <param name="momentum">The momentum factor (PyTorch <c>momentum</c>, default 0); &gt;= 0.</param>
    /// <param name="dampening">The dampening of the momentum (PyTorch <c>dampening</c>, default 0); in [0, 1].</param>
    /// <param name="nesterov">Whether to use Nesterov momentum (PyTorch <c>nesterov</c>, default false).</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (the message names it).</exception>
    /// <exception cref="ArgumentException">A tensor is not a leaf that requires grad, or Nesterov is asked for without momentum or with dampening.</exception>
    public SgdOptimizer(
        IEnumerable<Tensor<float>> parameters, float learningRate = 1e-3f, float weightDecay = 0f, float momentum = 0f, float dampening = 0f, bool nesterov = false)
        : this([new ParameterGroup(parameters)], learningRate, weightDecay, momentum, dampening, nesterov)
    {
    }

    /// <summary>The momentum factor (0: plain SGD).</summary>
    public float Momentum { get; }

    /// <summary>The dampening of the momentum.</summary>
    public float Dampening { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    protected override void Update(Tensor<float> parameter, ReadOnlySpan<float> gradient, float learningRate, float weightDecay)
    {
        Span<float> theta = parameter.Data;
        if (Momentum == 0f)
        {
            PlainStep(theta, gradient, learningRate, weightDecay);
            return;
        }

        if (!_momentumBuffers.TryGetValue(parameter, out float[]? buffer))
        {
            // PyTorch: on the first step the buffer is the (decayed) gradient itself, b_1 = g_1.
            buffer = new float[theta.Length];
            for (int i = 0; i < buffer.Length; i++)
            {
                buffer[i] = gradient[i] + (weightDecay * theta[i]);
            }

            _momentumBuffers.Add(parameter, buffer);
            MomentumStep(theta, gradient, buffer, learningRate, weightDecay, updateBuffer: false, Momentum, 1f - Dampening, Nesterov);
            return;
        }

        MomentumStep(theta, gradient, buffer, learningRate, weightDecay, updateBuffer: true, Momentum, 1f - Dampening, Nesterov);
    }

    /// <summary>
    /// Plain SGD on the rows a sparse batch touched: <c>θ_row -= lr·(g_row + wd·θ_row)</c>, exactly the dense step on those rows.
    /// Every other row's gradient is 0, so its dense step is the decay <c>θ *= 1 − lr·wd</c> alone, which is kept as one factor
    /// of the whole parameter (<see cref="LazyDecay"/>: <c>θ = scale·v</c>, the step's decay multiplies the scale and the touched
    /// rows take <c>v_row -= (lr / scale)·g_row</c>): a step then costs the batch's rows, not the parameter's size. Momentum has
    /// no such form (every row's buffer moves every step), so with momentum the step is dense.
    /// </summary>
    private protected override bool UpdateRows(Tensor<float> parameter, ReadOnlySpan<float> gradient, ReadOnlySpan<int> rows, int rowLength, float learningRate, float weightDecay)
    {
        if (Momentum != 0f)
        {
            return false;
        }

        Span<float> theta = parameter.Data;
        float rate = learningRate;
        if (weightDecay != 0f)
        {
            if (parameter.PendingRows is not LazyDecay lazy)
            {
                lazy = new LazyDecay(parameter);
                parameter.PendingRows = lazy;
            }

            lazy.Advance(1.0 - ((double)learningRate * weightDecay));
            rate = (float)(learningRate / lazy.Scale);
        }

        if (rowLength == 1)
        {
            // A linear model's weight: one value a row, where a call per row cost more than its arithmetic.
            foreach (int row in rows)
            {
                theta[row] -= rate * gradient[row];
            }

            return true;
        }

        foreach (int row in rows)
        {
            Span<float> values = theta.Slice(row * rowLength, rowLength);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(gradient.Slice(row * rowLength, rowLength), -rate, values, values);
        }

        return true;
    }

    /// <summary><c>θ -= lr·(g + wd·θ)</c> in one fused pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // See FirstFit in docs/benchmarks.md.
    private static void PlainStep(Span<float> theta, ReadOnlySpan<float> gradient, float learningRate, float weightDecay)
    {
        ref float t = ref MemoryMarshal.GetReference(theta);
        ref float g = ref MemoryMarshal.GetReference(gradient);
        int n = theta.Length;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var lr = new Vector<float>(learningRate);
            var wd = new Vector<float>(weightDecay);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> tv = Vector.LoadUnsafe(ref t, (nuint)i);
                Vector<float> d = Vector.LoadUnsafe(ref g, (nuint)i) + (wd * tv);
                (tv - (lr * d)).StoreUnsafe(ref t, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float d = Unsafe.Add(ref g, i) + (weightDecay * Unsafe.Add(ref t, i));
            Unsafe.Add(ref t, i) -= learningRate * d;
        }
    }

    /// <summary>
    /// One fused pass: <c>d = g + wd·θ; b = momentum·b + (1 − dampening)·d</c> (unless <paramref name="updateBuffer"/> is
    /// false: on the first step <c>b</c> already holds <c>d</c>); then <c>θ -= lr·(d + momentum·b)</c> with Nesterov,
    /// or <c>θ -= lr·b</c> without.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // See FirstFit in docs/benchmarks.md.
    private static void MomentumStep(
        Span<float> theta, ReadOnlySpan<float> gradient, float[] buffer, float learningRate, float weightDecay, bool updateBuffer, float momentum, float gradientFactor, bool nesterov)
    {
        ref float t = ref MemoryMarshal.GetReference(theta);
        ref float g = ref MemoryMarshal.GetReference(gradient);
        ref float b = ref MemoryMarshal.GetArrayDataReference(buffer);
        int n = theta.Length;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var lr = new Vector<float>(learningRate);
            var wd = new Vector<float>(weightDecay);
            var mu = new Vector<float>(momentum);
            var gf = new Vector<float>(gradientFactor);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> tv = Vector.LoadUnsafe(ref t, (nuint)i);
                Vector<float> d = Vector.LoadUnsafe(ref g, (nuint)i) + (wd * tv);
                Vector<float> bv = Vector.LoadUnsafe(ref b, (nuint)i);
                if (updateBuffer)
                {
                    bv = (mu * bv) + (gf * d);
                    bv.StoreUnsafe(ref b, (nuint)i);
                }

                Vector<float> direction = nesterov ? d + (mu * bv) : bv;
                (tv - (lr * direction)).StoreUnsafe(ref t, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float d = Unsafe.Add(ref g, i) + (weightDecay * Unsafe.Add(ref t, i));
            ref float bi = ref Unsafe.Add(ref b, i);
            if (updateBuffer)
            {
                bi = (momentum * bi) + (gradientFactor * d);
            }

            float direction = nesterov ? d + (momentum * bi) : bi;
            Unsafe.Add(ref t, i) -= learningRate * direction;
        }
    }
}
