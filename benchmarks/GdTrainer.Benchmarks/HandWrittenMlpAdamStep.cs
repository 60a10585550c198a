using System.Numerics;
using System.Numerics.Tensors;
using GdTrainer.Autograd;

namespace GdTrainer.Benchmarks;

/// <summary>
/// The anchor an engine training step of an MLP is measured against (issue #8 quotes ~101 us for
/// 20-64-64-1 on this machine class): one full Adam step of <c>inputs -> hidden -> hidden -> 1</c> with
/// ReLU and the mean squared error on a fixed batch, written directly with the engine's float matrix
/// kernels (<see cref="MatrixKernels"/>, <see cref="MatrixVectorKernels{T}"/>) and <see cref="Vector{T}"/>
/// loops: no autograd, no graph, no allocation. Weights are laid out <c>[in, out]</c> as in
/// <see cref="Functional.Linear{T}"/>; all parameters, gradients and Adam moments live in four flat arrays.
/// </summary>
internal sealed class HandWrittenMlpAdamStep
{
    private const float Beta1 = 0.9f;
    private const float Beta2 = 0.999f;
    private const float Epsilon = 1e-8f;

    private readonly int _inputs;
    private readonly int _hidden;
    private readonly int _batch;
    private readonly float _learningRate;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly float[] _parameters;
    private readonly float[] _gradients;
    private readonly float[] _firstMoments;
    private readonly float[] _secondMoments;
    private readonly float[] _hidden1;
    private readonly float[] _hidden2;
    private readonly float[] _prediction;
    private readonly float[] _outputGradient;
    private readonly float[] _hidden1Gradient;
    private readonly float[] _hidden2Gradient;
    private readonly float[] _ones;
    private int _step;

    /// <summary>
    /// Builds the network (weights and biases uniform in ±1/sqrt(fan-in), as PyTorch's <c>nn.Linear</c>)
    /// and a batch: <c>x</c> uniform in [-1, 1), <c>y = sin(sum of x) + 0.1 x_0</c>.
    /// </summary>
    public HandWrittenMlpAdamStep(int inputs, int hidden, int batch, int seed, float learningRate = 1e-3f)
    {
        (_inputs, _hidden, _batch, _learningRate) = (inputs, hidden, batch, learningRate);
        var random = new Random(seed);
        _x = new float[batch * inputs];
        _y = new float[batch];
        for (int i = 0; i < batch; i++)
        {
            float sum = 0;
            for (int j = 0; j < inputs; j++)
            {
                float value = (2 * random.NextSingle()) - 1;
                _x[(i * inputs) + j] = value;
                sum += value;
            }

            _y[i] = MathF.Sin(sum) + (0.1f * _x[i * inputs]);
        }

        int count = (inputs * hidden) + hidden + (hidden * hidden) + hidden + hidden + 1;
        _parameters = new float[count];
        _gradients = new float[count];
        _firstMoments = new float[count];
        _secondMoments = new float[count];
        FillUniform(W1, inputs, random);
        FillUniform(B1, inputs, random);
        FillUniform(W2, hidden, random);
        FillUniform(B2, hidden, random);
        FillUniform(W3, hidden, random);
        FillUniform(B3, hidden, random);

        _hidden1 = new float[batch * hidden];
        _hidden2 = new float[batch * hidden];
        _prediction = new float[batch];
        _outputGradient = new float[batch];
        _hidden1Gradient = new float[batch * hidden];
        _hidden2Gradient = new float[batch * hidden];
        _ones = new float[batch];
        _ones.AsSpan().Fill(1f);
    }

    /// <summary>The batch's features, <c>[batch, inputs]</c> row-major.</summary>
    public ReadOnlySpan<float> X => _x;

    /// <summary>The width of both hidden layers.</summary>
    public int Hidden => _hidden;

    /// <summary>The batch's targets, <c>[batch]</c>.</summary>
    public ReadOnlySpan<float> Y => _y;

    /// <summary>All parameters, flat: W1 <c>[inputs, hidden]</c>, b1, W2 <c>[hidden, hidden]</c>, b2, w3 <c>[hidden]</c>, b3 <c>[1]</c>.</summary>
    public Span<float> Parameters => _parameters;

    /// <summary>The gradients of the last <see cref="ComputeGradients"/>, laid out as <see cref="Parameters"/>.</summary>
    public ReadOnlySpan<float> Gradients => _gradients;

    private Span<float> W1 => _parameters.AsSpan(0, _inputs * _hidden);

    private Span<float> B1 => _parameters.AsSpan(_inputs * _hidden, _hidden);

    private Span<float> W2 => _parameters.AsSpan((_inputs * _hidden) + _hidden, _hidden * _hidden);

    private Span<float> B2 => _parameters.AsSpan((_inputs * _hidden) + _hidden + (_hidden * _hidden), _hidden);

    private Span<float> W3 => _parameters.AsSpan((_inputs * _hidden) + (2 * _hidden) + (_hidden * _hidden), _hidden);

    private Span<float> B3 => _parameters.AsSpan(_parameters.Length - 1, 1);

    /// <summary>One training step: zero the gradients, forward, MSE, backward, Adam update.</summary>
    /// <returns>The loss before the update.</returns>
    public float Step()
    {
        float loss = ComputeGradients();
        ApplyAdam();
        return loss;
    }

    /// <summary>Zeroes the gradients, then runs the forward pass, the loss and the backward pass.</summary>
    /// <returns>The mean squared error of the batch.</returns>
    public float ComputeGradients()
    {
        int n = _batch, d = _inputs, h = _hidden;
        Span<float> gradients = _gradients;
        gradients.Clear();
        Span<float> dW1 = gradients.Slice(0, d * h);
        Span<float> db1 = gradients.Slice(d * h, h);
        Span<float> dW2 = gradients.Slice((d * h) + h, h * h);
        Span<float> db2 = gradients.Slice((d * h) + h + (h * h), h);
        Span<float> dw3 = gradients.Slice((d * h) + (2 * h) + (h * h), h);

        // Forward: bias and ReLU fused into the product's store.
        MatrixKernels.Multiply(_x, W1, _hidden1, n, d, h, B1, relu: true);
        MatrixKernels.Multiply(_hidden1, W2, _hidden2, n, h, h, B2, relu: true);
        MatrixVectorKernels<float>.Multiply(_hidden2, W3, _prediction, n, h);

        // MSE and its gradient 2 (prediction - y) / n.
        Span<float> g = _outputGradient;
        TensorPrimitives.Add(_prediction, B3[0], g);
        TensorPrimitives.Subtract(g, _y, g);
        float loss = TensorPrimitives.SumOfSquares<float>(g) / n;
        TensorPrimitives.Multiply(g, 2f / n, g);

        // Output layer.
        MatrixVectorKernels<float>.MultiplyTransposedAdd(_hidden2, g, dw3, n, h);
        gradients[^1] = TensorPrimitives.Sum<float>(g);

        // Second hidden layer: g2 = (g w3^T) masked by the ReLU.
        MatrixKernels.MultiplyByTransposed(g, W3, _hidden2Gradient, n, 1, h);
        MaskWherePositive(_hidden2Gradient, _hidden2);
        MatrixKernels.MultiplyTransposedAdd(_hidden1, _hidden2Gradient, dW2, n, h, h);
        MatrixVectorKernels<float>.MultiplyTransposedAdd(_hidden2Gradient, _ones, db2, n, h);

        // First hidden layer: g1 = (g2 W2^T) masked by the ReLU; the input needs no gradient.
        MatrixKernels.MultiplyByTransposed(_hidden2Gradient, W2, _hidden1Gradient, n, h, h);
        MaskWherePositive(_hidden1Gradient, _hidden1);
        MatrixKernels.MultiplyTransposedAdd(_x, _hidden1Gradient, dW1, n, d, h);
        MatrixVectorKernels<float>.MultiplyTransposedAdd(_hidden1Gradient, _ones, db1, n, h);
        return loss;
    }

    /// <summary>
    /// PyTorch's Adam (no weight decay, no AMSGrad): <c>m = b1 m + (1 - b1) g</c>, <c>v = b2 v + (1 - b2) g^2</c>,
    /// <c>p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)</c>.
    /// </summary>
    public void ApplyAdam()
    {
        _step++;
        float stepSize = _learningRate / (1 - MathF.Pow(Beta1, _step));
        float inverseRootCorrection = 1 / MathF.Sqrt(1 - MathF.Pow(Beta2, _step));
        Span<float> p = _parameters, g = _gradients, m = _firstMoments, v = _secondMoments;
        int width = Vector<float>.Count;
        int i = 0;
        for (; i + width <= p.Length; i += width)
        {
            var gi = new Vector<float>(g.Slice(i));
            Vector<float> mi = (new Vector<float>(m.Slice(i)) * Beta1) + (gi * (1 - Beta1));
            Vector<float> vi = (new Vector<float>(v.Slice(i)) * Beta2) + (gi * gi * (1 - Beta2));
            mi.CopyTo(m.Slice(i));
            vi.CopyTo(v.Slice(i));
            Vector<float> denominator = (Vector.SquareRoot(vi) * inverseRootCorrection) + new Vector<float>(Epsilon);
            (new Vector<float>(p.Slice(i)) - (mi * stepSize / denominator)).CopyTo(p.Slice(i));
        }

        for (; i < p.Length; i++)
        {
            m[i] = (Beta1 * m[i]) + ((1 - Beta1) * g[i]);
            v[i] = (Beta2 * v[i]) + ((1 - Beta2) * g[i] * g[i]);
            p[i] -= stepSize * m[i] / ((MathF.Sqrt(v[i]) * inverseRootCorrection) + Epsilon);
        }
    }

    /// <summary><c>gradient[i] = 0</c> where <c>activation[i] &lt;= 0</c>: the ReLU's backward from its output.</summary>
    private static void MaskWherePositive(Span<float> gradient, ReadOnlySpan<float> activation)
    {
        int width = Vector<float>.Count;
        int i = 0;
        for (; i + width <= gradient.Length; i += width)
        {
            Vector<int> positive = Vector.GreaterThan(new Vector<float>(activation.Slice(i)), Vector<float>.Zero);
            Vector.ConditionalSelect(positive, new Vector<float>(gradient.Slice(i)), Vector<float>.Zero).CopyTo(gradient.Slice(i));
        }

        for (; i < gradient.Length; i++)
        {
            if (!(activation[i] > 0))
            {
                gradient[i] = 0;
            }
        }
    }

    private static void FillUniform(Span<float> values, int fanIn, Random random)
    {
        float bound = 1 / MathF.Sqrt(fanIn);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ((2 * random.NextSingle()) - 1) * bound;
        }
    }
}
