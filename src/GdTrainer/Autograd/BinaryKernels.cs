using System.Numerics;
using System.Numerics.Tensors;

namespace GdTrainer.Autograd;

/// <summary>
/// An elementwise binary kernel in the three forms broadcasting needs: span-span, span-scalar
/// and scalar-span. Implemented by structs so that the generic broadcasting loop is specialised
/// (and inlined) per kernel by the JIT.
/// </summary>
internal interface IBinaryKernel<T>
{
    static abstract void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination);

    static abstract void Apply(ReadOnlySpan<T> x, T y, Span<T> destination);

    static abstract void Apply(T x, ReadOnlySpan<T> y, Span<T> destination);
}

/// <summary><c>destination[i] = x[i] + y[i]</c>.</summary>
internal readonly struct AddKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Add(x, y, destination);

    public static void Apply(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Add(x, y, destination);

    public static void Apply(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Add(y, x, destination);
}

/// <summary><c>destination[i] = x[i] - y[i]</c>.</summary>
internal readonly struct SubtractKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Subtract(x, y, destination);

    public static void Apply(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Subtract(x, y, destination);

    public static void Apply(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Subtract(x, y, destination);
}

/// <summary><c>destination[i] = x[i] * y[i]</c>.</summary>
internal readonly struct MultiplyKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Multiply(x, y, destination);

    public static void Apply(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Multiply(x, y, destination);

    public static void Apply(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Multiply(y, x, destination);
}

/// <summary><c>destination[i] = x[i] / y[i]</c>.</summary>
internal readonly struct DivideKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Divide(x, y, destination);

    public static void Apply(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Divide(x, y, destination);

    public static void Apply(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Divide(x, y, destination);
}
