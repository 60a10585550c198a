using System.Numerics;
using System.Numerics.Tensors;

namespace GdTrainer.Autograd;

/// <summary>
/// The axis of a softmax-style operation on a tensor of rank 1 or 2: either along each row (the last
/// axis, contiguous) or down each column (axis 0 of a matrix), where the kernels run across the columns
/// with whole-row vector operations instead of strided loops.
/// </summary>
internal static class SoftmaxAxis
{
    /// <summary>Validates <paramref name="axis"/> and returns whether the operation runs down the columns (axis 0 of a matrix).</summary>
    internal static bool DownColumns<T>(Tensor<T> x, int axis, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"{name} needs a tensor of rank 1 or 2, but {x.Describe()} is a scalar; reshape it to [1].");
        }

        int resolved = axis < 0 ? axis + x.Rank : axis;
        if (resolved < 0 || resolved >= x.Rank)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"{name}: axis {axis} is out of range for {x.Describe()}; use 0..{x.Rank - 1} (or -1 for the last).");
        }

        return x.Rank == 2 && resolved == 0;
    }

    /// <summary><c>maxima[c] = max over rows of x[r, c]</c> (NaN if any is NaN).</summary>
    internal static void ColumnMaxima<T>(ReadOnlySpan<T> x, Dims2 dims, Span<T> maxima)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = dims.Columns;
        x[..k].CopyTo(maxima);
        for (int row = 1; row < dims.Rows; row++)
        {
            TensorPrimitives.Max(maxima, x.Slice(row * k, k), maxima);
        }
    }
}

/// <summary>
/// <c>y = x - max - log(sum(exp(x - max)))</c> along an axis (PyTorch's <c>F.log_softmax</c>): subtracting the
/// maximum first keeps every exponent at or below 0, so logits around +-1e4 give the same result as around 0.
/// Backward <c>dx = g - softmax * sum(g)</c> along the axis, with <c>softmax = exp(y)</c> from the saved output.
/// </summary>
internal sealed class LogSoftmaxNode<T>(Tensor<T> input, bool downColumns) : Node<T>(input)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "LogSoftmax";

    internal static Tensor<T> Forward(Tensor<T> x, int axis)
    {
        bool downColumns = SoftmaxAxis.DownColumns(x, axis, "LogSoftmax");
        var data = TensorMemory<T>.Allocate(x.Length);
        ReadOnlySpan<T> source = x.Data;
        Dims2 dims = x.Dims;
        int n = dims.Rows;
        int k = dims.Columns;
        if (x.Length > 0)
        {
            if (downColumns)
            {
                T[] scratch = RentScratch(3 * k);
                Span<T> maxima = scratch.AsSpan(0, k);
                Span<T> sums = scratch.AsSpan(k, k);
                Span<T> exponentials = scratch.AsSpan(2 * k, k);
                SoftmaxAxis.ColumnMaxima(source, dims, maxima);
                sums.Clear();
                for (int row = 0; row < n; row++)
                {
                    Span<T> shifted = data.AsSpan(row * k, k);
                    TensorPrimitives.Subtract(source.Slice(row * k, k), maxima, shifted);
                    TensorPrimitives.Exp(shifted, exponentials);
                    TensorPrimitives.Add(sums, exponentials, sums);
                }

                TensorPrimitives.Log(sums, sums);
                for (int row = 0; row < n; row++)
                {
                    Span<T> shifted = data.AsSpan(row * k, k);
                    TensorPrimitives.Subtract(shifted, sums, shifted);
                }

                ReturnScratch(scratch);
            }
            else
            {
                T[] scratch = RentScratch(k);
                Span<T> exponentials = scratch.AsSpan(0, k);
                for (int row = 0; row < n; row++)
                {
                    ReadOnlySpan<T> logits = source.Slice(row * k, k);
                    Span<T> shifted = data.AsSpan(row * k, k);
                    TensorPrimitives.Subtract(logits, TensorPrimitives.Max(logits), shifted);
                    TensorPrimitives.Exp(shifted, exponentials);
                    TensorPrimitives.Subtract(shifted, T.Log(TensorPrimitives.Sum<T>(exponentials)), shifted);
                }

                ReturnScratch(scratch);
            }
        }

        return new Tensor<T>(data, x.ShapeArray, ShouldRecord(x) ? new LogSoftmaxNode<T>(x, downColumns) : null);
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        ReadOnlySpan<T> logProbabilities = SavedOutput.Data;
        Dims2 dims = OutputDims;
        int n = dims.Rows;
        int k = dims.Columns;
        T[] scratch = RentScratch(OutputLength + (downColumns ? k : 0));
        Span<T> gradient = scratch.AsSpan(0, OutputLength);
        if (downColumns)
        {
            Span<T> sums = scratch.AsSpan(OutputLength, k);
            sums.Clear();
            for (int row = 0; row < n; row++)
            {
                TensorPrimitives.Add(sums, outputGradient.Slice(row * k, k), sums);
            }

            for (int row = 0; row < n; row++)
            {
                Span<T> destination = gradient.Slice(row * k, k);
                TensorPrimitives.Exp(logProbabilities.Slice(row * k, k), destination);
                TensorPrimitives.Multiply(destination, sums, destination);
                TensorPrimitives.Subtract(outputGradient.Slice(row * k, k), destination, destination);
            }
        }
        else
        {
            for (int row = 0; row < n; row++)
            {
                ReadOnlySpan<T> g = outputGradient.Slice(row * k, k);
                Span<T> destination = gradient.Slice(row * k, k);
                TensorPrimitives.Exp(logProbabilities.Slice(row * k, k), destination);
                TensorPrimitives.MultiplyAdd(destination, -TensorPrimitives.Sum(g), g, destination);
            }
        }

        Accumulate(FirstInput, gradient, dims);
        ReturnScratch(scratch);
    }
}

/// <summary>
/// <c>s = exp(x - max) / sum(exp(x - max))</c> along an axis (PyTorch's <c>F.softmax</c>), stable for any finite
/// logits. Backward <c>dx = s * (g - sum(g * s))</c> along the axis, from the saved output.
/// </summary>
internal sealed class SoftmaxNode<T>(Tensor<T> input, bool downColumns) : Node<T>(input)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "Softmax";

    internal static Tensor<T> Forward(Tensor<T> x, int axis)
    {
        bool downColumns = SoftmaxAxis.DownColumns(x, axis, "Softmax");
        var data = TensorMemory<T>.Allocate(x.Length);
        ReadOnlySpan<T> source = x.Data;
        Dims2 dims = x.Dims;
        int n = dims.Rows;
        int k = dims.Columns;
        if (x.Length > 0)
        {
            if (downColumns)
            {
                T[] scratch = RentScratch(2 * k);
                Span<T> maxima = scratch.AsSpan(0, k);
                Span<T> sums = scratch.AsSpan(k, k);
                SoftmaxAxis.ColumnMaxima(source, dims, maxima);
                sums.Clear();
                for (int row = 0; row < n; row++)
                {
                    Span<T> exponentials = data.AsSpan(row * k, k);
                    TensorPrimitives.Subtract(source.Slice(row * k, k), maxima, exponentials);
                    TensorPrimitives.Exp(exponentials, exponentials);
                    TensorPrimitives.Add(sums, exponentials, sums);
                }

                for (int row = 0; row < n; row++)
                {
                    Span<T> probabilities = data.AsSpan(row * k, k);
                    TensorPrimitives.Divide(probabilities, sums, probabilities);
                }

                ReturnScratch(scratch);
            }
            else
            {
                for (int row = 0; row < n; row++)
                {
                    ReadOnlySpan<T> logits = source.Slice(row * k, k);
                    Span<T> probabilities = data.AsSpan(row * k, k);
                    TensorPrimitives.Subtract(logits, TensorPrimitives.Max(logits), probabilities);
                    TensorPrimitives.Exp(probabilities, probabilities);
                    TensorPrimitives.Divide(probabilities, TensorPrimitives.Sum<T>(probabilities), probabilities);
                }
            }
        }

        return new Tensor<T>(data, x.ShapeArray, ShouldRecord(x) ? new SoftmaxNode<T>(x, downColumns) : null);
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        ReadOnlySpan<T> probabilities = SavedOutput.Data;
        Dims2 dims = OutputDims;
        int n = dims.Rows;
        int k = dims.Columns;
        T[] scratch = RentScratch(OutputLength + (downColumns ? k : 0));
        Span<T> gradient = scratch.AsSpan(0, OutputLength);
        if (downColumns)
        {
            Span<T> dots = scratch.AsSpan(OutputLength, k);
            dots.Clear();
            for (int row = 0; row < n; row++)
            {
                TensorPrimitives.MultiplyAdd(outputGradient.Slice(row * k, k), probabilities.Slice(row * k, k), dots, dots);
            }

            for (int row = 0; row < n; row++)
            {
                Span<T> destination = gradient.Slice(row * k, k);
                TensorPrimitives.Subtract(outputGradient.Slice(row * k, k), dots, destination);
                TensorPrimitives.Multiply(destination, probabilities.Slice(row * k, k), destination);
            }
        }
        else
        {
            for (int row = 0; row < n; row++)
            {
                ReadOnlySpan<T> g = outputGradient.Slice(row * k, k);
                ReadOnlySpan<T> s = probabilities.Slice(row * k, k);
                Span<T> destination = gradient.Slice(row * k, k);
                TensorPrimitives.Subtract(g, TensorPrimitives.Dot(g, s), destination);
                TensorPrimitives.Multiply(destination, s, destination);
            }
        }

        Accumulate(FirstInput, gradient, dims);
        ReturnScratch(scratch);
    }
}

/// <summary>
/// <c>m + log(sum(exp(x - m)))</c> along an axis with <c>m</c> the maximum (PyTorch's <c>torch.logsumexp</c>;
/// as there, an infinite maximum is replaced by 0 so that all -inf gives -inf and +inf gives +inf).
/// Backward <c>dx = g * exp(x - y)</c>, the softmax along the axis, from the saved input and output.
/// </summary>
internal sealed class LogSumExpNode<T>(Tensor<T> input, bool downColumns) : Node<T>(input)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal override string Name => "LogSumExp";

    internal static Tensor<T> Forward(Tensor<T> x, int axis, bool keepDim)
    {
        bool downColumns = SoftmaxAxis.DownColumns(x, axis, "LogSumExp");
        ReadOnlySpan<T> source = x.Data;
        Dims2 dims = x.Dims;
        int n = dims.Rows;
        int k = dims.Columns;
        T[] data;
        if (downColumns)
        {
            data = TensorMemory<T>.Allocate(k);
            if (n == 0)
            {
                data.AsSpan().Fill(T.NegativeInfinity); // log(0), as PyTorch gives for an empty reduction.
            }
            else
            {
                T[] scratch = RentScratch(2 * k);
                Span<T> sums = scratch.AsSpan(0, k);
                Span<T> exponentials = scratch.AsSpan(k, k);
                SoftmaxAxis.ColumnMaxima(source, dims, data);
                for (int column = 0; column < k; column++)
                {
                    data[column] = T.IsInfinity(data[column]) ? T.Zero : data[column];
                }

                sums.Clear();
                for (int row = 0; row < n; row++)
                {
                    TensorPrimitives.Subtract(source.Slice(row * k, k), data, exponentials);
                    TensorPrimitives.Exp(exponentials, exponentials);
                    TensorPrimitives.Add(sums, exponentials, sums);
                }

                TensorPrimitives.Log(sums, sums);
                TensorPrimitives.Add(data, sums, data);
                ReturnScratch(scratch);
            }
        }
        else
        {
            data = TensorMemory<T>.Allocate(n);
            T[] scratch = RentScratch(k);
            Span<T> exponentials = scratch.AsSpan(0, k);
            for (int row = 0; row < n; row++)
            {
                ReadOnlySpan<T> values = source.Slice(row * k, k);
                if (k == 0)
                {
                    data[row] = T.NegativeInfinity;
                    continue;
                }

                T maximum = TensorPrimitives.Max(values);
                maximum = T.IsInfinity(maximum) ? T.Zero : maximum;
                TensorPrimitives.Subtract(values, maximum, exponentials);
                TensorPrimitives.Exp(exponentials, exponentials);
                data[row] = maximum + T.Log(TensorPrimitives.Sum<T>(exponentials));
            }

            ReturnScratch(scratch);
        }

        int[] shape = (x.Rank, keepDim) switch
        {
            (1, false) => Shapes.Scalar,
            (1, true) => [1],
            (_, false) => [downColumns ? k : n],
            _ => downColumns ? [1, k] : [n, 1],
        };
        return new Tensor<T>(data, shape, ShouldRecord(x) ? new LogSumExpNode<T>(x, downColumns) : null);
    }

    internal override void Backward(ReadOnlySpan<T> outputGradient)
    {
        Tensor<T> input = SavedFirst;
        ReadOnlySpan<T> x = input.Data;
        ReadOnlySpan<T> result = SavedOutput.Data;
        Dims2 dims = input.Dims;
        int n = dims.Rows;
        int k = dims.Columns;
        T[] scratch = RentScratch(input.Length);
        Span<T> gradient = scratch.AsSpan(0, input.Length);
        for (int row = 0; row < n; row++)
        {
            Span<T> destination = gradient.Slice(row * k, k);
            if (downColumns)
            {
                TensorPrimitives.Subtract(x.Slice(row * k, k), result, destination);
                TensorPrimitives.Exp(destination, destination);
                TensorPrimitives.Multiply(destination, outputGradient, destination);
            }
            else
            {
                TensorPrimitives.Subtract(x.Slice(row * k, k), result[row], destination);
                TensorPrimitives.Exp(destination, destination);
                TensorPrimitives.Multiply(destination, outputGradient[row], destination);
            }
        }

        Accumulate(FirstInput, gradient, dims);
        ReturnScratch(scratch);
    }
}
