namespace GdTrainer.Optimizers;

using GdTrainer.Autograd;

/// <summary>
/// The weight decay SGD owes a parameter between the sparse batches that touch its rows, as one factor for the whole parameter:
/// its values are the stored values times <see cref="Scale"/> (scikit-learn's <c>SGDClassifier</c> keeps <c>w = scale·v</c> for
/// the same reason). A step's decay <c>1 − lr·wd</c> multiplies the scale, the rows the step updates are written in stored units
/// (their change divided by the scale), a sparse product multiplies what it reads by the scale, and <see cref="CatchUpAll"/>
/// multiplies every stored value by the scale and resets it to 1. A step then costs the rows it updates and nothing per row it
/// reads. (Owing the decay row by row, and paying it when a product next read the row, cost a look-up per non-zero of every
/// batch: 28% of a 2.6-million-slot text model's epoch.)
/// </summary>
internal sealed class LazyDecay(Tensor<float> parameter) : IRowCatchUp
{
    // Below this the stored values are rescaled at once, long before the scale's inverse loses float's precision.
    private const double SmallestScale = 1e-6;

    /// <inheritdoc/>
    public double Scale { get; private set; } = 1.0;

    /// <summary>Owes every row one more step's decay: multiplies the scale by <paramref name="factor"/> (<c>1 − lr·wd</c>).</summary>
    internal void Advance(double factor)
    {
        Scale *= factor;
        if (Scale < SmallestScale)
        {
            CatchUpAll();
        }
    }

    /// <inheritdoc/>
    public void CatchUpAll()
    {
        if (Scale != 1.0)
        {
            Span<float> values = parameter.Data;
            System.Numerics.Tensors.TensorPrimitives.Multiply(values, (float)Scale, values);
            Scale = 1.0;
        }
    }
}
