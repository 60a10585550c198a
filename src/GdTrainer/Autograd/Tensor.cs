using System.Numerics;

namespace GdTrainer.Autograd;

/// <summary>
/// Creates tensors (PyTorch's <c>torch.tensor</c>, <c>zeros</c>, <c>ones</c>, <c>full</c>, <c>rand</c>,
/// <c>randn</c>). Overloads without a type argument create <see cref="Tensor{T}"/> of <see cref="float"/>.
/// Shapes are written as collection expressions: <c>Tensor.Zeros([3, 2])</c>.
/// </summary>
public static class Tensor
{
    /// <summary>A rank-1 tensor holding a copy of <paramref name="values"/>.</summary>
    public static Tensor<T> From<T>(ReadOnlySpan<T> values, bool requiresGrad = false)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        From(values, [values.Length], requiresGrad);

    /// <summary>A tensor of shape <paramref name="shape"/> holding a copy of <paramref name="values"/> (row-major).</summary>
    /// <exception cref="ArgumentException">The shape is invalid (negative, rank above 2) or does not hold exactly as many elements as given.</exception>
    public static Tensor<T> From<T>(ReadOnlySpan<T> values, ReadOnlySpan<int> shape, bool requiresGrad = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] validated = Shapes.Validate(shape, out int length);
        if (length != values.Length)
        {
            throw new ArgumentException(
                $"Shape {Shapes.Format(shape)} holds {length} elements but {values.Length} values were given.", nameof(values));
        }

        return new Tensor<T>(values.ToArray(), validated) { RequiresGrad = requiresGrad };
    }

    /// <summary>A rank-2 tensor holding a copy of <paramref name="values"/>.</summary>
    public static Tensor<T> From<T>(T[,] values, bool requiresGrad = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(values);
        var data = new T[values.Length];
        int columns = values.GetLength(1);
        for (int row = 0; row < values.GetLength(0); row++)
        {
            for (int column = 0; column < columns; column++)
            {
                data[(row * columns) + column] = values[row, column];
            }
        }

        return new Tensor<T>(data, [values.GetLength(0), columns]) { RequiresGrad = requiresGrad };
    }

    /// <summary>
    /// A tensor over <paramref name="array"/> itself, without copying (PyTorch's <c>from_numpy</c>):
    /// writes to the array show in the tensor and the other way round.
    /// </summary>
    /// <exception cref="ArgumentException">The shape does not hold exactly <c>array.Length</c> elements.</exception>
    public static Tensor<T> Wrap<T>(T[] array, ReadOnlySpan<int> shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(array);
        return Wrap(array, 0, shape);
    }

    /// <summary>A tensor over the elements of <paramref name="array"/> starting at <paramref name="offset"/>, without copying.</summary>
    /// <exception cref="ArgumentException">The shape's elements do not fit in the array after <paramref name="offset"/>.</exception>
    public static Tensor<T> Wrap<T>(T[] array, int offset, ReadOnlySpan<int> shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(array);
        int[] validated = Shapes.Validate(shape, out int length);
        if (offset < 0 || offset + (long)length > array.Length)
        {
            throw new ArgumentException(
                $"Shape {Shapes.Format(shape)} ({length} elements) at offset {offset} does not fit in an array of {array.Length}.", nameof(shape));
        }

        return new Tensor<T>(array, offset, validated, length);
    }

    /// <summary>
    /// <c>condition != 0 ? x : y</c> elementwise, the three broadcast together (PyTorch's <c>torch.where</c>,
    /// with a numeric condition such as a mask from <see cref="Tensor{T}.GreaterThan(Tensor{T})"/>; NaN counts as true).
    /// The gradient flows to <paramref name="x"/> where the condition holds and to <paramref name="y"/> elsewhere;
    /// none flows to <paramref name="condition"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The three shapes do not broadcast together.</exception>
    public static Tensor<T> Where<T>(Tensor<T> condition, Tensor<T> x, Tensor<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        return WhereNode<T>.Forward(condition, x, y);
    }

    /// <summary>A rank-0 tensor holding <paramref name="value"/>.</summary>
    public static Tensor<T> Scalar<T>(T value, bool requiresGrad = false)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new([value], Shapes.Scalar) { RequiresGrad = requiresGrad };

    /// <summary>A tensor of zeros.</summary>
    public static Tensor<T> Zeros<T>(ReadOnlySpan<int> shape, bool requiresGrad = false)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Full(shape, T.Zero, requiresGrad);

    /// <summary>A <see cref="float"/> tensor of zeros.</summary>
    public static Tensor<float> Zeros(ReadOnlySpan<int> shape, bool requiresGrad = false) => Zeros<float>(shape, requiresGrad);

    /// <summary>A tensor of ones.</summary>
    public static Tensor<T> Ones<T>(ReadOnlySpan<int> shape, bool requiresGrad = false)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Full(shape, T.One, requiresGrad);

    /// <summary>A <see cref="float"/> tensor of ones.</summary>
    public static Tensor<float> Ones(ReadOnlySpan<int> shape, bool requiresGrad = false) => Ones<float>(shape, requiresGrad);

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">The shape is invalid.</exception>
    public static Tensor<T> Full<T>(ReadOnlySpan<int> shape, T value, bool requiresGrad = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] validated = Shapes.Validate(shape, out int length);
        var data = new T[length];
        if (value != T.Zero)
        {
            data.AsSpan().Fill(value);
        }

        return new Tensor<T>(data, validated) { RequiresGrad = requiresGrad };
    }

    /// <summary>
    /// A tensor of independent samples from the uniform distribution on [0, 1).
    /// Pass a seeded <see cref="Random"/> for reproducible values; null uses <see cref="Random.Shared"/>.
    /// </summary>
    public static Tensor<T> Rand<T>(ReadOnlySpan<int> shape, Random? generator = null, bool requiresGrad = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] validated = Shapes.Validate(shape, out int length);
        generator ??= Random.Shared;
        var data = new T[length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = UniformBelowOne<T>(generator);
        }

        return new Tensor<T>(data, validated) { RequiresGrad = requiresGrad };
    }

    /// <summary>A <see cref="float"/> tensor of uniform samples on [0, 1); see <see cref="Rand{T}"/>.</summary>
    public static Tensor<float> Rand(ReadOnlySpan<int> shape, Random? generator = null, bool requiresGrad = false) =>
        Rand<float>(shape, generator, requiresGrad);

    /// <summary>
    /// A tensor of independent samples from the standard normal distribution (mean 0, variance 1),
    /// drawn with the Box-Muller transform. Null <paramref name="generator"/> uses <see cref="Random.Shared"/>.
    /// </summary>
    public static Tensor<T> Randn<T>(ReadOnlySpan<int> shape, Random? generator = null, bool requiresGrad = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] validated = Shapes.Validate(shape, out int length);
        generator ??= Random.Shared;
        var data = new T[length];
        for (int i = 0; i < data.Length; i += 2)
        {
            double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - generator.NextDouble()));
            double angle = 2.0 * Math.PI * generator.NextDouble();
            data[i] = T.CreateTruncating(radius * Math.Cos(angle));
            if (i + 1 < data.Length)
            {
                data[i + 1] = T.CreateTruncating(radius * Math.Sin(angle));
            }
        }

        return new Tensor<T>(data, validated) { RequiresGrad = requiresGrad };
    }

    /// <summary>A <see cref="float"/> tensor of standard normal samples; see <see cref="Randn{T}"/>.</summary>
    public static Tensor<float> Randn(ReadOnlySpan<int> shape, Random? generator = null, bool requiresGrad = false) =>
        Randn<float>(shape, generator, requiresGrad);

    private static T UniformBelowOne<T>(Random generator)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Rounding a double just below 1 to float can give exactly 1; draw again to keep [0, 1).
        while (true)
        {
            T value = T.CreateTruncating(generator.NextDouble());
            if (value < T.One)
            {
                return value;
            }
        }
    }
}
