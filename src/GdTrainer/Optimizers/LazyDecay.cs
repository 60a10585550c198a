namespace GdTrainer.Optimizers;

using GdTrainer.Autograd;

/// <summary>
/// The weight decay a parameter's rows are owed: the product of every step's factor <c>1 − lr·wd</c> since the rows were
/// last brought up to date, kept as one running product and, per row, the product's value when the row was last current,
/// so that a row is caught up with one multiplication by their ratio (in double: the product of thousands of factors
/// stays representable). Catching up every row resets both.
/// </summary>
internal sealed class LazyDecay : IRowCatchUp
{
    private readonly Tensor<float> _parameter;
    private readonly int _rowLength;
    private readonly double[] _productWhenCurrent;
    private double _product = 1.0;

    internal LazyDecay(Tensor<float> parameter, int rowLength)
    {
        _parameter = parameter;
        _rowLength = rowLength;
        _productWhenCurrent = new double[parameter.Length / rowLength];
        Array.Fill(_productWhenCurrent, 1.0);
    }

    /// <summary>Multiplies the owed decay of every row by <paramref name="factor"/> (one step's <c>1 − lr·wd</c>).</summary>
    internal void Advance(double factor) => _product *= factor;

    /// <summary>Records <paramref name="rows"/> as current (their step applied the decay directly).</summary>
    internal void MarkCurrent(ReadOnlySpan<int> rows)
    {
        foreach (int row in rows)
        {
            _productWhenCurrent[row] = _product;
        }
    }

    public void CatchUp(ReadOnlySpan<int> rows)
    {
        Span<float> theta = _parameter.Data;
        foreach (int row in rows)
        {
            double when = _productWhenCurrent[row];
            if (when != _product)
            {
                Scale(theta.Slice(row * _rowLength, _rowLength), when == 0 ? 0 : _product / when);
                _productWhenCurrent[row] = _product;
            }
        }
    }

    public void CatchUpAll()
    {
        Span<float> theta = _parameter.Data;
        for (int row = 0; row < _productWhenCurrent.Length; row++)
        {
            double when = _productWhenCurrent[row];
            if (when != _product)
            {
                Scale(theta.Slice(row * _rowLength, _rowLength), when == 0 ? 0 : _product / when);
            }
        }

        Array.Fill(_productWhenCurrent, 1.0);
        _product = 1.0;
    }

    private static void Scale(Span<float> row, double factor) =>
        System.Numerics.Tensors.TensorPrimitives.Multiply(row, (float)factor, row);
}
