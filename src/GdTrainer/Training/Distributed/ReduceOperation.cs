namespace GdTrainer.Training;

/// <summary>How <see cref="Communicator.AllReduce(double, ReduceOperation)"/> combines the ranks' values.</summary>
public enum ReduceOperation
{
    /// <summary>The sum, taken in rank order (rank 0's value plus rank 1's, plus rank 2's, ...), so that every rank gets the same bits.</summary>
    Sum,

    /// <summary>The largest value (<see cref="Math.Max(double, double)"/>: a NaN on any rank gives NaN).</summary>
    Max,

    /// <summary>The smallest value (<see cref="Math.Min(double, double)"/>: a NaN on any rank gives NaN).</summary>
    Min,
}
