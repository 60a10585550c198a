namespace GdTrainer.Autograd;

/// <summary>
/// A tensor of rank 0, 1 or 2 seen as a row-major matrix: <c>[]</c> is 1x1, <c>[n]</c> is 1xn (a row,
/// because broadcasting aligns shapes on the right) and <c>[r, c]</c> is rxc. Every broadcasting kernel
/// and the central gradient reduction work on this view.
/// </summary>
internal readonly record struct Dims2(int Rows, int Columns)
{
    internal int Length => Rows * Columns;

    internal static Dims2 Of(ReadOnlySpan<int> shape) => shape.Length switch
    {
        0 => new Dims2(1, 1),
        1 => new Dims2(1, shape[0]),
        _ => new Dims2(shape[0], shape[1]),
    };
}
