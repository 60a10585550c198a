namespace GdTrainer.Training;

/// <summary>
/// The processes (ranks) that train one model together: each holds the same model, visits the same batches, computes the
/// micro-shards of its own block of every batch, and exchanges what it computed through this interface, so that every rank ends
/// each step with the same gradient and the same loss, bit for bit, whatever the number of ranks. Its two calls are MPI's
/// <c>MPI_Allgatherv</c>: an MPI communicator implements it with MPI (issue 21); <see cref="InProcessCommunicator"/> runs the ranks as
/// threads of one process, for tests.
/// </summary>
/// <remarks>
/// What is exchanged when (<see cref="ShardedStep"/>): after every training step's backward pass, the sums of the maximal subtrees of
/// the reduction tree inside the rank's block (<see cref="ReductionTree.Subtrees"/>; per parameter a written flag and the dense values
/// or the touched rows) and the shards' losses and weights; after every evaluation batch, its shards' weighted losses. Every rank
/// finishes the tree above the gathered subtrees itself (<see cref="ReductionTree.CombinesAbove"/>), so the sums never depend on the
/// transport's order. Every rank must make the same calls in the same order with the same counts; an implementation must fail
/// (never hang) when a rank does not arrive.
/// </remarks>
internal interface IShardCommunicator
{
    /// <summary>This process's rank, from 0 to <see cref="Size"/> - 1.</summary>
    int Rank { get; }

    /// <summary>The number of ranks (at least 1).</summary>
    int Size { get; }

    /// <summary>
    /// Every rank passes <paramref name="values"/> (<c>counts[Rank]</c> of them); every rank receives in <paramref name="gathered"/>
    /// every rank's values in rank order (rank 0's first, then rank 1's, ...), <c>counts[r]</c> from rank r.
    /// </summary>
    void AllGather(ReadOnlySpan<double> values, Span<double> gathered, ReadOnlySpan<int> counts);

    /// <summary>As the other overload, for floats (gradients; integers travel as their bits, <see cref="BitConverter.Int32BitsToSingle"/>).</summary>
    void AllGather(ReadOnlySpan<float> values, Span<float> gathered, ReadOnlySpan<int> counts);

    /// <summary>
    /// Prepares an all-gather of floats, <c>counts[r]</c> from rank r, and returns the buffer this rank writes its part into
    /// (<c>counts[Rank]</c> floats): the communicator's own memory, so that the part is not copied before it is sent. The
    /// buffer is valid until <see cref="AllGatherStaged"/> runs.
    /// </summary>
    Span<float> StageAllGather(ReadOnlySpan<int> counts);

    /// <summary>
    /// Runs the all-gather <see cref="StageAllGather"/> prepared and returns every rank's part in rank order (this rank's
    /// included, as written), in the communicator's memory: valid until the next collective.
    /// </summary>
    ReadOnlySpan<float> AllGatherStaged();
}
