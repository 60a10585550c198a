namespace GdTrainer.Training;

/// <summary>One pass over the usable rows of an <see cref="IRowStream"/>, in its order; disposing it closes the pass.</summary>
internal interface IRowReader : IDisposable
{
    /// <summary>
    /// Reads the next usable row: its features into <paramref name="features"/> (<see cref="IRowStream.FeatureCount"/> values),
    /// its label and its example weight (1 without weights). Returns false at the end of the pass. The features of a row the
    /// stream leaves out may have been written into <paramref name="features"/> before it moved on.
    /// </summary>
    bool Next(Span<float> features, out float label, out float weight);
}
