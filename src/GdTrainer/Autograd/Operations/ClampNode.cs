using System.Numerics;
using System.Numerics.Tensors;

namespace GdTrainer.Autograd;

/// <summary>
/// <c>min(max(x, lower), upper)</c> with either bound optional (PyTorch's <c>clamp</c>, <c>clamp_min</c>,
/// <c>clamp_max</c>): NaN stays NaN and <c>lower &gt; upper</c> gives <c>upper</c> everywhere, as in PyTorch.
/// Derivative 1 where <c>lower &lt;= x &lt;= upper</c> (bounds included, PyTorch's <c>clamp_backward</c>), else 0.
/// </summary>
internal sealed class ClampNode<T>(Tensor<T> input, T? lower, T? upper) : UnaryNode<T>(input)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => (lower, upper) switch
    {
        (null, _) => "ClampMax",
        (_, null) => "ClampMin",
        _ => "Clamp",
    };

    internal static Tensor<T> Forward(Tensor<T> x, T? lower, T? upper)
    {
        var data = TensorMemory<T>.Allocate(x.Length);
        if (lower is { } low)
        {
            TensorPrimitives.Max(x.Data, low, data);
            if (upper is { } high)
            {
                TensorPrimitives.Min(data, high, data);
            }
        }
        else
        {
            TensorPrimitives.Min(x.Data, upper!.Value, data);
        }

        return new Tensor<T>(data, x.ShapeArray, ShouldRecord(x) ? new ClampNode<T>(x, lower, upper) : null);
    }

    protected override void Derivative(Span<T> destination)
    {
        ReadOnlySpan<T> x = SavedFirst.Data;
        T low = lower ?? T.NegativeInfinity;
        T high = upper ?? T.PositiveInfinity;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var lows = new Vector<T>(low);
            var highs = new Vector<T>(high);
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var value = new Vector<T>(x.Slice(i));
                Vector<T> inside = Vector.BitwiseAnd(Vector.GreaterThanOrEqual(value, lows), Vector.LessThanOrEqual(value, highs));
                Vector.BitwiseAnd(inside, Vector<T>.One).CopyTo(destination.Slice(i));
            }
        }

        for (; i < x.Length; i++)
        {
            destination[i] = x[i] >= low && x[i] <= high ? T.One : T.Zero;
        }
    }
}
