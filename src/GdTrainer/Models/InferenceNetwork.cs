namespace GdTrainer.Models;

using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GdTrainer.Models.Lowering;

/// <summary>
/// A feed-forward network compiled from a <see cref="Module"/> for scoring one row at a time: a chain of
/// <see cref="DenseLayer"/>s, each followed by at most one activation. Immutable and thread-safe: any number of
/// threads may score concurrently, and a call allocates nothing (intermediate activations live in a per-thread
/// buffer reused across calls).
/// </summary>
/// <remarks>
/// <para>
/// It computes what the module's <see cref="Module.Forward"/> computes in evaluation mode (dropout is the identity),
/// without autograd: a layer with more than one output accumulates <c>x[p] * W[p, j]</c> over <c>p</c> in order from
/// zero and then adds the bias, with fused multiply-adds exactly where the engine's matrix kernel uses them
/// (<c>Vector256</c> accelerated and at least 8 outputs), so those layers reproduce the engine's forward bit for bit;
/// a layer with one output computes <c>TensorPrimitives.Dot(x, w) + b</c>, the formula of the library's linear scorer,
/// so a compiled linear model scores bit-identically to it. Activations use the engine's own kernels. Each module type lowers
/// itself into the network (<see cref="Module"/>'s internal <c>LowerForInference</c>): a linear layer adds a dense layer, an
/// activation module attaches its kernel to the layer before it.
/// </para>
/// <para>
/// One row through a 20-64-64-1 ReLU network measured 0.47-0.64 µs and no allocation, against 2.9-3.5 µs and 976 bytes
/// for <c>Module.Forward</c> on a one-row tensor under <see cref="GdTrainer.Autograd.Autograd.NoGrad"/> (5-6x); a 20-feature linear model
/// 53 ns against 354 ns (~7x). BenchmarkDotNet <c>InferenceNetworkBenchmarks</c>, Release, on the shared 2-core machine
/// under heavy load (load average 15-20), so the absolute numbers are high; the ratios held in runs at load 50-70.
/// </para>
/// </remarks>
public sealed class InferenceNetwork
{
    [ThreadStatic]
    private static float[]? t_scratch;

    private readonly DenseLayer[] _layers;
    private readonly int _hiddenWidth;
    private readonly int _widestOutput;

    private InferenceNetwork(DenseLayer[] layers)
    {
        _layers = layers;
        for (int i = 0; i < layers.Length; i++)
        {
            _widestOutput = Math.Max(_widestOutput, layers[i].Outputs);
            if (i < layers.Length - 1)
            {
                _hiddenWidth = Math.Max(_hiddenWidth, layers[i].Outputs);
            }
        }
    }

    /// <summary>The number of features of an input row (the first layer's inputs).</summary>
    public int InputSize => _layers[0].Inputs;

    /// <summary>The number of outputs per row (the last layer's outputs).</summary>
    public int OutputSize => _layers[^1].Outputs;

    /// <summary>The layers in order, from the one taking the input row to the one giving the outputs.</summary>
    public IReadOnlyList<DenseLayer> DenseLayers => _layers;

    /// <summary>
    /// Compiles <paramref name="module"/>, copying its parameters (later changes to the module do not affect the network),
    /// or returns <see langword="null"/> when it holds a module type that cannot be compiled.
    /// </summary>
    /// <param name="module">
    /// A tree of module types that define their compiled form: <see cref="Linear"/>, <see cref="LinearModel"/>, <see cref="Mlp"/>,
    /// <see cref="Sequential"/>, <see cref="Dropout"/> (compiled to nothing, whatever the module's mode) and the library's activation
    /// modules (one per <see cref="Activation"/> value), in which the first computing module is a linear layer and each activation
    /// directly follows a linear layer.
    /// </param>
    /// <returns>The network, or <see langword="null"/> for any other module type or arrangement (<see cref="Compile"/> says why).</returns>
    /// <exception cref="ArgumentException">The layers' sizes do not chain (a layer's inputs differ from the previous layer's outputs); the message names both.</exception>
    public static InferenceNetwork? TryCompile(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Build(module, out _);
    }

    /// <summary>Compiles <paramref name="module"/> as <see cref="TryCompile"/> does, and throws where it would return <see langword="null"/>.</summary>
    /// <param name="module">A module tree as described on <see cref="TryCompile"/>.</param>
    /// <returns>The network.</returns>
    /// <exception cref="NotSupportedException">The tree holds a module type that cannot be compiled (the message names its full type name and path) or an arrangement that cannot be (an activation not directly after a linear layer).</exception>
    /// <exception cref="ArgumentException">The layers' sizes do not chain; the message names both.</exception>
    public static InferenceNetwork Compile(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Build(module, out string? problem) ?? throw new NotSupportedException(problem);
    }

    /// <summary>
    /// A network computing <c>f((x - offsets) / scales)</c> on the raw row <c>x</c>, where <c>f</c> is this network, by
    /// folding the standardisation into the first layer: <c>W'[i, :] = W[i, :] / scales[i]</c> and
    /// <c>b' = b - sum_i offsets[i] / scales[i] * W[i, :]</c> (summed in double). This network is unchanged.
    /// </summary>
    /// <param name="offsets">Subtracted from each feature (such as its mean), <see cref="InputSize"/> finite values.</param>
    /// <param name="scales">Each centred feature is divided by this (such as its standard deviation), <see cref="InputSize"/> finite non-zero values.</param>
    /// <returns>The folded network.</returns>
    /// <exception cref="ArgumentException">A span's length differs from <see cref="InputSize"/>, or a value is not finite or a scale is zero.</exception>
    public InferenceNetwork WithInputStandardization(ReadOnlySpan<float> offsets, ReadOnlySpan<float> scales)
    {
        CheckTransform(offsets, scales, nameof(scales), "scale");
        DenseLayer first = _layers[0];
        int d = first.Inputs, k = first.Outputs;
        float[] weights = first.WeightArray;
        var folded = new float[weights.Length];
        var shift = new double[k];
        for (int i = 0; i < d; i++)
        {
            double ratio = (double)offsets[i] / scales[i];
            for (int j = 0; j < k; j++)
            {
                float w = weights[(i * k) + j];
                folded[(i * k) + j] = w / scales[i];
                shift[j] += ratio * w;
            }
        }

        var bias = new float[k];
        for (int j = 0; j < k; j++)
        {
            bias[j] = (float)(first.BiasArray[j] - shift[j]);
        }

        return WithFirstLayer(first.WithParameters(folded, bias));
    }

    /// <summary>
    /// A network computing <c>f((x - offsets) * multipliers)</c> on the raw row <c>x</c>, folded into the first layer with
    /// the arithmetic of the trainer's feature transform: <c>W'[i, :] = W[i, :] * multipliers[i]</c> in float, then
    /// <c>b'[j] = (float)(b[j] - sum_i (double)W'[i, j] * offsets[i])</c>, so that a one-output model folded this way scores
    /// bit-identically to the linear model the trainer folds. This network is unchanged.
    /// </summary>
    /// <param name="offsets">Subtracted from each feature, <see cref="InputSize"/> finite values.</param>
    /// <param name="multipliers">Each centred feature is multiplied by this, <see cref="InputSize"/> finite values.</param>
    /// <returns>The folded network.</returns>
    /// <exception cref="ArgumentException">A span's length differs from <see cref="InputSize"/>, or a value is not finite.</exception>
    public InferenceNetwork WithInputTransform(ReadOnlySpan<float> offsets, ReadOnlySpan<float> multipliers)
    {
        CheckTransform(offsets, multipliers, nameof(multipliers), "multiplier");
        DenseLayer first = _layers[0];
        int d = first.Inputs, k = first.Outputs;
        float[] folded = first.WeightArray.AsSpan().ToArray();
        var shift = new double[k];
        for (int i = 0; i < d; i++)
        {
            Span<float> row = folded.AsSpan(i * k, k);
            TensorPrimitives.Multiply(row, multipliers[i], row);
            for (int j = 0; j < k; j++)
            {
                shift[j] += (double)row[j] * offsets[i];
            }
        }

        var bias = new float[k];
        for (int j = 0; j < k; j++)
        {
            bias[j] = (float)(first.BiasArray[j] - shift[j]);
        }

        return WithFirstLayer(first.WithParameters(folded, bias));
    }

    /// <summary>Scores one dense row: <paramref name="output"/> receives the network's <see cref="OutputSize"/> outputs.</summary>
    /// <param name="input">The row, <see cref="InputSize"/> values.</param>
    /// <param name="output">Receives <see cref="OutputSize"/> values.</param>
    /// <exception cref="ArgumentException">A span's length differs from the network's size (the message states both), or the spans overlap.</exception>
    public void Score(ReadOnlySpan<float> input, Span<float> output)
    {
        if (input.Length != InputSize)
        {
            throw new ArgumentException($"The input row has {input.Length} values, but the network expects {InputSize} features.", nameof(input));
        }

        CheckOutput(output, input);
        DenseLayer first = _layers[0];
        if (_layers.Length == 1)
        {
            Dense(first, input, output);
            Activate(first, output, scratch: default);
            return;
        }

        Span<float> scratch = Scratch();
        Span<float> current = scratch.Slice(0, first.Outputs);
        Dense(first, input, current);
        Continue(current, output, scratch);
    }

    /// <summary>
    /// Scores one sparse row of length <see cref="InputSize"/> given by its explicit entries (the others are zero): the first
    /// layer sums only over them, <c>b + sum_e values[e] * W[indices[e], :]</c>. With ascending indices (as ML.NET's sparse
    /// vectors have) a layer with more than one output gives bit-identically what <see cref="Score"/> gives on the densified
    /// row; a one-output first layer sums <c>values[e] * w[indices[e]]</c> in order as the library's linear scorer does.
    /// </summary>
    /// <param name="indices">The positions of the explicit entries, each in <c>[0, InputSize)</c>.</param>
    /// <param name="values">The explicit entries' values, as many as <paramref name="indices"/>.</param>
    /// <param name="output">Receives <see cref="OutputSize"/> values.</param>
    /// <exception cref="ArgumentException">The spans' lengths differ, an index is outside <c>[0, InputSize)</c>, the output's length is not <see cref="OutputSize"/>, or the output overlaps the values.</exception>
    public void ScoreSparse(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, Span<float> output)
    {
        if (indices.Length != values.Length)
        {
            throw new ArgumentException($"The sparse row has {indices.Length} indices but {values.Length} values; they must be as many.", nameof(values));
        }

        int inputSize = InputSize;
        foreach (int index in indices)
        {
            if ((uint)index >= (uint)inputSize)
            {
                throw new ArgumentException($"The sparse row has the index {index}, outside [0, {inputSize}) for a network of {inputSize} features.", nameof(indices));
            }
        }

        CheckOutput(output, values);
        DenseLayer first = _layers[0];
        if (_layers.Length == 1)
        {
            SparseDense(first, indices, values, output);
            Activate(first, output, scratch: default);
            return;
        }

        Span<float> scratch = Scratch();
        Span<float> current = scratch.Slice(0, first.Outputs);
        SparseDense(first, indices, values, current);
        Continue(current, output, scratch);
    }

    /// <inheritdoc/>
    public override string ToString() => $"InferenceNetwork({string.Join(", ", (object[])_layers)})";

    private static InferenceNetwork? Build(Module module, out string? problem)
    {
        var lowering = new InferenceLowering();
        problem = module.LowerForInference(lowering, string.Empty);
        if (problem is not null)
        {
            return null;
        }

        IReadOnlyList<DenseLayer> layers = lowering.Layers;
        IReadOnlyList<string> paths = lowering.Paths;
        if (layers.Count == 0)
        {
            problem = $"The {module.GetType().Name} has no linear layer, so there is nothing to compile.";
            return null;
        }

        for (int i = 1; i < layers.Count; i++)
        {
            if (layers[i].Inputs != layers[i - 1].Outputs)
            {
                throw new ArgumentException(
                    $"The linear layer at {InferenceLowering.Where(paths[i])} expects {layers[i].Inputs} inputs, but the layer before it at {InferenceLowering.Where(paths[i - 1])} gives {layers[i - 1].Outputs} outputs.",
                    nameof(module));
            }
        }

        return new InferenceNetwork([.. layers]);
    }

    /// <summary><c>y = x W + b</c> for one row, in the engine's per-element arithmetic (see the class remarks).</summary>
    private static void Dense(DenseLayer layer, ReadOnlySpan<float> x, Span<float> y)
    {
        int d = layer.Inputs, k = layer.Outputs;
        float[] w = layer.WeightArray;
        float[] b = layer.BiasArray;
        if (k == 1)
        {
            // The library's linear scorer (MLNet/LinearScorer): keep these scores bit-identical to it.
            y[0] = TensorPrimitives.Dot(x, w) + b[0];
            return;
        }

        ref float wStart = ref MemoryMarshal.GetArrayDataReference(w);
        ref float xStart = ref MemoryMarshal.GetReference(x);
        if (UsesFusedKernel(k))
        {
            ref float bStart = ref MemoryMarshal.GetArrayDataReference(b);
            ref float yStart = ref MemoryMarshal.GetReference(y);
            int width = Vector256<float>.Count;
            int column = 0;
            for (; column + (8 * width) <= k; column += 8 * width)
            {
                // Eight vectors of running sums (64 outputs) in registers: with the broadcast and a load, 10 of AVX2's 16, and
                // enough independent multiply-adds in flight to hide their latency. One row through a 64x64 layer measured
                // 116-132 ns against 150-186 ns with blocks of four (~1.3x; best of 40 rounds, two runs, on the loaded 2-core machine).
                Vector256<float> s0 = Vector256<float>.Zero, s1 = Vector256<float>.Zero, s2 = Vector256<float>.Zero, s3 = Vector256<float>.Zero;
                Vector256<float> s4 = Vector256<float>.Zero, s5 = Vector256<float>.Zero, s6 = Vector256<float>.Zero, s7 = Vector256<float>.Zero;
                ref float wp = ref Unsafe.Add(ref wStart, column);
                for (int p = 0; p < d; p++)
                {
                    var xp = Vector256.Create(Unsafe.Add(ref xStart, p));
                    s0 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadUnsafe(ref wp), s0);
                    s1 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadUnsafe(ref wp, (nuint)width), s1);
                    s2 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadUnsafe(ref wp, (nuint)(2 * width)), s2);
                    s3 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadUnsafe(ref wp, (nuint)(3 * width)), s3);
                    s4 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadUnsafe(ref wp, (nuint)(4 * width)), s4);
                    s5 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadUnsafe(ref wp, (nuint)(5 * width)), s5);
                    s6 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadUnsafe(ref wp, (nuint)(6 * width)), s6);
                    s7 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadUnsafe(ref wp, (nuint)(7 * width)), s7);
                    wp = ref Unsafe.Add(ref wp, k);
                }

                StoreWithBias(s0, ref bStart, ref yStart, column);
                StoreWithBias(s1, ref bStart, ref yStart, column + width);
                StoreWithBias(s2, ref bStart, ref yStart, column + (2 * width));
                StoreWithBias(s3, ref bStart, ref yStart, column + (3 * width));
                StoreWithBias(s4, ref bStart, ref yStart, column + (4 * width));
                StoreWithBias(s5, ref bStart, ref yStart, column + (5 * width));
                StoreWithBias(s6, ref bStart, ref yStart, column + (6 * width));
                StoreWithBias(s7, ref bStart, ref yStart, column + (7 * width));
            }

            for (; column + (4 * width) <= k; column += 4 * width)
            {
                Vector256<float> s0 = Vector256<float>.Zero, s1 = Vector256<float>.Zero, s2 = Vector256<float>.Zero, s3 = Vector256<float>.Zero;
                ref float wp = ref Unsafe.Add(ref wStart, column);
                for (int p = 0; p < d; p++)
                {
                    var xp = Vector256.Create(Unsafe.Add(ref xStart, p));
                    s0 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadUnsafe(ref wp), s0);
                    s1 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadUnsafe(ref wp, (nuint)width), s1);
                    s2 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadUnsafe(ref wp, (nuint)(2 * width)), s2);
                    s3 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadUnsafe(ref wp, (nuint)(3 * width)), s3);
                    wp = ref Unsafe.Add(ref wp, k);
                }

                StoreWithBias(s0, ref bStart, ref yStart, column);
                StoreWithBias(s1, ref bStart, ref yStart, column + width);
                StoreWithBias(s2, ref bStart, ref yStart, column + (2 * width));
                StoreWithBias(s3, ref bStart, ref yStart, column + (3 * width));
            }

            while (column < k)
            {
                // One vector at a time; the last one ends at the row's end and recomputes (identically) columns already done.
                column = Math.Min(column, k - width);
                Vector256<float> sum = Vector256<float>.Zero;
                ref float wp = ref Unsafe.Add(ref wStart, column);
                for (int p = 0; p < d; p++)
                {
                    sum = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref xStart, p)), Vector256.LoadUnsafe(ref wp), sum);
                    wp = ref Unsafe.Add(ref wp, k);
                }

                (sum + Vector256.LoadUnsafe(ref bStart, (nuint)column)).StoreUnsafe(ref yStart, (nuint)column);
                column += width;
            }

            return;
        }

        // The engine's scalar kernel: (x * w) + sum, not fused, then the bias.
        for (int j = 0; j < k; j++)
        {
            float sum = 0f;
            for (int p = 0; p < d; p++)
            {
                sum = (Unsafe.Add(ref xStart, p) * Unsafe.Add(ref wStart, (p * k) + j)) + sum;
            }

            y[j] = sum + b[j];
        }
    }

    /// <summary>The first layer over a sparse row's explicit entries, in the same per-element arithmetic as <see cref="Dense"/>.</summary>
    private static void SparseDense(DenseLayer layer, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, Span<float> y)
    {
        int k = layer.Outputs;
        float[] w = layer.WeightArray;
        float[] b = layer.BiasArray;
        if (k == 1)
        {
            // The library's linear scorer's sparse branch (MLNet/LinearScorer), term by term.
            float dot = 0f;
            for (int e = 0; e < values.Length; e++)
            {
                dot += values[e] * w[indices[e]];
            }

            y[0] = dot + b[0];
            return;
        }

        ref float wStart = ref MemoryMarshal.GetArrayDataReference(w);
        if (UsesFusedKernel(k))
        {
            ref float bStart = ref MemoryMarshal.GetArrayDataReference(b);
            ref float yStart = ref MemoryMarshal.GetReference(y);
            int width = Vector256<float>.Count;
            for (int column = 0; column < k; column += width)
            {
                column = Math.Min(column, k - width);
                Vector256<float> sum = Vector256<float>.Zero;
                for (int e = 0; e < values.Length; e++)
                {
                    sum = Vector256.FusedMultiplyAdd(Vector256.Create(values[e]), Vector256.LoadUnsafe(ref wStart, (nuint)((indices[e] * k) + column)), sum);
                }

                (sum + Vector256.LoadUnsafe(ref bStart, (nuint)column)).StoreUnsafe(ref yStart, (nuint)column);
            }

            return;
        }

        for (int j = 0; j < k; j++)
        {
            float sum = 0f;
            for (int e = 0; e < values.Length; e++)
            {
                sum = (values[e] * Unsafe.Add(ref wStart, (indices[e] * k) + j)) + sum;
            }

            y[j] = sum + b[j];
        }
    }

    /// <summary><c>y[column ..] = sum + b[column ..]</c> for one vector of outputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreWithBias(Vector256<float> sum, ref float bias, ref float y, int column) =>
        (sum + Vector256.LoadUnsafe(ref bias, (nuint)column)).StoreUnsafe(ref y, (nuint)column);

    /// <summary>Whether the engine's matrix kernel (<c>MatrixKernels.Choose</c>) takes a fused vector path for <paramref name="columns"/> outputs.</summary>
    private static bool UsesFusedKernel(int columns) => Vector256.IsHardwareAccelerated && columns >= Vector256<float>.Count;

    /// <summary>Applies the layer's activation in place, with the kernel its module compiled (the kernels of the module's forward).</summary>
    private static void Activate(DenseLayer layer, Span<float> y, Span<float> scratch)
    {
        if (layer.CompiledActivation is { } activation)
        {
            activation.Apply(y, TemporaryFor(y, ref scratch));
        }
    }

    /// <summary>A span of <paramref name="y"/>'s length for an activation's intermediate: from the caller's scratch, else the thread's buffer.</summary>
    private static Span<float> TemporaryFor(Span<float> y, ref Span<float> scratch)
    {
        if (scratch.Length < y.Length)
        {
            // A one-layer network scores without scratch until an activation needs it.
            scratch = ThreadBuffer(y.Length);
        }

        return scratch.Slice(0, y.Length);
    }

    private static float[] ThreadBuffer(int length)
    {
        float[]? buffer = t_scratch;
        if (buffer is null || buffer.Length < length)
        {
            buffer = new float[Math.Max(length, 2 * (buffer?.Length ?? 0))];
            t_scratch = buffer;
        }

        return buffer;
    }

    /// <summary>The thread's buffer, as two hidden-width halves followed by room for an activation's intermediate.</summary>
    private Span<float> Scratch() => ThreadBuffer((2 * _hiddenWidth) + _widestOutput).AsSpan(0, (2 * _hiddenWidth) + _widestOutput);

    /// <summary>Runs layers 1.. on the first layer's output <paramref name="current"/> (in the scratch's first half).</summary>
    private void Continue(Span<float> current, Span<float> output, Span<float> scratch)
    {
        Span<float> temporary = scratch.Slice(2 * _hiddenWidth);
        Activate(_layers[0], current, temporary);
        for (int i = 1; i < _layers.Length; i++)
        {
            DenseLayer layer = _layers[i];
            Span<float> next = i == _layers.Length - 1 ? output : scratch.Slice((i % 2) * _hiddenWidth, layer.Outputs);
            Dense(layer, current, next);
            Activate(layer, next, temporary);
            current = next;
        }
    }

    private void CheckOutput(Span<float> output, ReadOnlySpan<float> input)
    {
        if (output.Length != OutputSize)
        {
            throw new ArgumentException($"The output span has {output.Length} elements, but the network gives {OutputSize} outputs per row.", nameof(output));
        }

        if (input.Overlaps(output))
        {
            throw new ArgumentException("The output span overlaps the input values; score into a separate buffer.", nameof(output));
        }
    }

    private void CheckTransform(ReadOnlySpan<float> offsets, ReadOnlySpan<float> factors, string factorsName, string factorName)
    {
        if (offsets.Length != InputSize)
        {
            throw new ArgumentException($"There are {offsets.Length} offsets, but the network has {InputSize} features.", nameof(offsets));
        }

        if (factors.Length != InputSize)
        {
            throw new ArgumentException($"There are {factors.Length} {factorName}s, but the network has {InputSize} features.", factorsName);
        }

        for (int i = 0; i < offsets.Length; i++)
        {
            if (!float.IsFinite(offsets[i]))
            {
                throw new ArgumentException($"The offset of feature {i} is {offsets[i]}; offsets must be finite.", nameof(offsets));
            }

            if (!float.IsFinite(factors[i]) || (factorName == "scale" && factors[i] == 0f))
            {
                throw new ArgumentException(
                    $"The {factorName} of feature {i} is {factors[i]}; {factorName}s must be finite{(factorName == "scale" ? " and non-zero" : string.Empty)}.", factorsName);
            }
        }
    }

    private InferenceNetwork WithFirstLayer(DenseLayer first)
    {
        var layers = (DenseLayer[])_layers.Clone();
        layers[0] = first;
        return new InferenceNetwork(layers);
    }
}
