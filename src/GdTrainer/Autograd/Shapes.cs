using System.Text;

namespace GdTrainer.Autograd;

/// <summary>Shape arithmetic and formatting shared by the tensor type and its operations.</summary>
internal static class Shapes
{
    /// <summary>The highest rank the engine supports.</summary>
    internal const int MaxRank = 2;

    internal static readonly int[] Scalar = [];

    internal static string Format(ReadOnlySpan<int> shape)
    {
        var builder = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            builder.Append(shape[i]);
        }

        return builder.Append(']').ToString();
    }

    /// <summary>Validates a user-supplied shape and returns a private copy of it together with its element count.</summary>
    internal static int[] Validate(ReadOnlySpan<int> shape, out int length, string parameterName = "shape")
    {
        if (shape.Length > MaxRank)
        {
            throw new ArgumentException(
                $"Shape {Format(shape)} has rank {shape.Length}; GdTrainer tensors support rank 0, 1 and 2.", parameterName);
        }

        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
            {
                throw new ArgumentException($"Shape {Format(shape)} has a negative dimension at index {i}.", parameterName);
            }

            count *= shape[i];
        }

        if (count > Array.MaxLength)
        {
            throw new ArgumentException($"Shape {Format(shape)} holds {count} elements, more than one array can hold.", parameterName);
        }

        length = (int)count;
        return shape.Length == 0 ? Scalar : shape.ToArray();
    }

    /// <summary>
    /// The shape two operands broadcast to, by NumPy's rule: align on the right, and in each
    /// dimension the sizes must be equal or one of them must be 1.
    /// </summary>
    internal static int[] Broadcast(int[] left, int[] right, string operation)
    {
        if (left.AsSpan().SequenceEqual(right))
        {
            return left;
        }

        int rank = Math.Max(left.Length, right.Length);
        Span<int> result = stackalloc int[MaxRank];
        result = result[..rank];
        for (int i = 1; i <= rank; i++)
        {
            int l = i <= left.Length ? left[^i] : 1;
            int r = i <= right.Length ? right[^i] : 1;
            if (l != r && l != 1 && r != 1)
            {
                throw new ArgumentException(
                    $"{operation}: shapes {Format(left)} and {Format(right)} cannot be broadcast together " +
                    $"(dimension {rank - i}: {l} vs {r}). Sizes must match or be 1 after aligning the shapes on the right; " +
                    "reshape a column vector to [n, 1] to combine it with an [n, d] matrix.");
            }

            result[rank - i] = Math.Max(l, r);
        }

        // Reuse an operand's shape array when the result equals it, so elementwise ops rarely allocate one.
        if (result.SequenceEqual(left))
        {
            return left;
        }

        if (result.SequenceEqual(right))
        {
            return right;
        }

        return rank == 0 ? Scalar : result.ToArray();
    }
}
