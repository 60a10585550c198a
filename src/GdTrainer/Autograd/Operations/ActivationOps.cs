using System.Numerics;
using System.Numerics.Tensors;

namespace GdTrainer.Autograd;

/// <summary>
/// <c>x</c> where <c>x &gt; 0</c>, else <c>slope * x</c> (PyTorch's <c>F.leaky_relu</c>); derivative 1 where
/// <c>x &gt; 0</c>, else <c>slope</c> (so <c>slope</c> at 0, as PyTorch's backward <c>x &gt; 0 ? g : g * slope</c>).
/// </summary>
internal sealed class LeakyReluNode<T>(Tensor<T> input, T negativeSlope) : UnaryNode<T>(input)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "LeakyRelu";

    internal static Tensor<T> Forward(Tensor<T> x, T negativeSlope)
    {
        var data = TensorMemory<T>.Allocate(x.Length);
        ReadOnlySpan<T> source = x.Data;
        if (negativeSlope >= T.Zero && negativeSlope <= T.One)
        {
            // For 0 <= slope <= 1, max(x, slope * x) is the same function in two vectorised passes.
            TensorPrimitives.Multiply(source, negativeSlope, data);
            TensorPrimitives.Max(source, data, data);
        }
        else
        {
            for (int i = 0; i < source.Length; i++)
            {
                T value = source[i];
                data[i] = value > T.Zero ? value : value * negativeSlope;
            }
        }

        return new Tensor<T>(data, x.ShapeArray, ShouldRecord(x) ? new LeakyReluNode<T>(x, negativeSlope) : null);
    }

    protected override void Derivative(Span<T> destination)
    {
        ReadOnlySpan<T> x = SavedFirst.Data;
        for (int i = 0; i < x.Length; i++)
        {
            destination[i] = x[i] > T.Zero ? T.One : negativeSlope;
        }
    }
}

/// <summary><c>x^2</c> (PyTorch's <c>torch.square</c>); derivative <c>2x</c>.</summary>
internal sealed class SquareNode<T>(Tensor<T> input) : UnaryNode<T>(input)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly Func<Tensor<T>, UnaryNode<T>> s_create = x => new SquareNode<T>(x);

    internal override string Name => "Square";

    internal static Tensor<T> Forward(Tensor<T> x) => Forward(x, s_create, static (source, destination) => TensorPrimitives.Multiply(source, source, destination));

    protected override void Derivative(Span<T> destination) => TensorPrimitives.Multiply(SavedFirst.Data, T.CreateTruncating(2), destination);
}

/// <summary>
/// <c>(1/beta) log(1 + e^(beta x))</c>, and <c>x</c> itself where <c>beta x &gt; threshold</c> (PyTorch's
/// <c>F.softplus</c>). Computed as <c>(max(z, 0) + log1p(e^-|z|)) / beta</c> with <c>z = beta x</c>, which never
/// overflows and keeps full relative accuracy far below zero (softplus(-100) = e^-100). Derivative
/// <c>sigmoid(beta x)</c>, and 1 above the threshold.
/// </summary>
internal sealed class SoftplusNode<T>(Tensor<T> input, T beta, T threshold) : UnaryNode<T>(input)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "Softplus";

    internal static Tensor<T> Forward(Tensor<T> x, T beta, T threshold)
    {
        var data = TensorMemory<T>.Allocate(x.Length);
        ReadOnlySpan<T> source = x.Data;
        for (int i = 0; i < source.Length; i++)
        {
            T z = source[i] * beta;
            data[i] = z > threshold
                ? source[i]
                : (T.Max(z, T.Zero) + SpecialFunctions.LogOnePlus(T.Exp(-T.Abs(z)))) / beta;
        }

        return new Tensor<T>(data, x.ShapeArray, ShouldRecord(x) ? new SoftplusNode<T>(x, beta, threshold) : null);
    }

    protected override void Derivative(Span<T> destination)
    {
        ReadOnlySpan<T> x = SavedFirst.Data;
        for (int i = 0; i < x.Length; i++)
        {
            T z = x[i] * beta;
            destination[i] = z > threshold ? T.One : T.One / (T.One + T.Exp(-z));
        }
    }
}

/// <summary>
/// The Gaussian error linear unit (PyTorch's <c>F.gelu</c>). Exact form: <c>x Phi(x)</c> with the
/// standard normal distribution function <c>Phi(x) = erfc(-x/sqrt 2) / 2</c> (computed in double precision
/// by <see cref="SpecialFunctions"/>), derivative <c>Phi(x) + x phi(x)</c>. Tanh form
/// (<c>approximate='tanh'</c>): <c>x/2 (1 + tanh(u))</c> with <c>u = sqrt(2/pi) (x + 0.044715 x^3)</c>,
/// derivative <c>(1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)</c>, <c>t = tanh(u)</c>.
/// </summary>
internal sealed class GeluNode<T>(Tensor<T> input, bool tanhApproximation) : UnaryNode<T>(input)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const double SqrtTwoOverPi = 0.79788456080286535588;
    private const double Cubic = 0.044715;

    internal override string Name => "Gelu";

    internal static Tensor<T> Forward(Tensor<T> x, bool tanhApproximation)
    {
        var data = TensorMemory<T>.Allocate(x.Length);
        ReadOnlySpan<T> source = x.Data;
        if (tanhApproximation)
        {
            TanhOfInner(source, data);
            TensorPrimitives.Add(data, T.One, data);
            TensorPrimitives.Multiply(data, source, data);
            TensorPrimitives.Multiply(data, T.CreateTruncating(0.5), data);
        }
        else
        {
            for (int i = 0; i < source.Length; i++)
            {
                double value = double.CreateTruncating(source[i]);
                data[i] = T.CreateTruncating(value * SpecialFunctions.NormalCdf(value));
            }
        }

        return new Tensor<T>(data, x.ShapeArray, ShouldRecord(x) ? new GeluNode<T>(x, tanhApproximation) : null);
    }

    protected override void Derivative(Span<T> destination)
    {
        ReadOnlySpan<T> x = SavedFirst.Data;
        if (!tanhApproximation)
        {
            for (int i = 0; i < x.Length; i++)
            {
                double value = double.CreateTruncating(x[i]);
                destination[i] = T.CreateTruncating(SpecialFunctions.NormalCdf(value) + (value * SpecialFunctions.NormalPdf(value)));
            }

            return;
        }

        TanhOfInner(x, destination);
        T half = T.CreateTruncating(0.5);
        T sqrtTwoOverPi = T.CreateTruncating(SqrtTwoOverPi);
        T threeCubic = T.CreateTruncating(3 * Cubic);
        for (int i = 0; i < x.Length; i++)
        {
            T t = destination[i];
            T value = x[i];
            T innerDerivative = sqrtTwoOverPi * (T.One + (threeCubic * value * value));
            destination[i] = (half * (T.One + t)) + (half * value * (T.One - (t * t)) * innerDerivative);
        }
    }

    /// <summary><c>destination = tanh(sqrt(2/pi) (x + 0.044715 x^3))</c>, in vectorised passes.</summary>
    private static void TanhOfInner(ReadOnlySpan<T> x, Span<T> destination)
    {
        TensorPrimitives.Multiply(x, x, destination);
        TensorPrimitives.Multiply(destination, T.CreateTruncating(Cubic), destination);
        TensorPrimitives.Add(destination, T.One, destination);
        TensorPrimitives.Multiply(destination, x, destination);
        TensorPrimitives.Multiply(destination, T.CreateTruncating(SqrtTwoOverPi), destination);
        TensorPrimitives.Tanh(destination, destination);
    }
}
