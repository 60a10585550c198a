namespace GdTrainer.Autograd;

/// <summary>The helper threads of the matrix kernels (placeholder: single-threaded).</summary>
internal static class MatrixKernelThreads
{
    /// <summary>The configured thread count (<see cref="Autograd.IntraOpThreads"/>).</summary>
    internal static int Threads { get; set; } = 1;
}
