namespace GdTrainer.Training;

using System.Runtime.Intrinsics.X86;

/// <summary>
/// Asks the processor to start loading memory that will be read soon, so that the wait overlaps
/// with the work in between. A hint only: it changes no value, and does nothing where x86
/// prefetch instructions are not available.
/// </summary>
internal static class CachePrefetch
{
    private const int FloatsPerCacheLine = 16;

    /// <summary>Prefetches <c>array[start .. start + length)</c> into all cache levels.</summary>
    internal static unsafe void Range(float[] array, int start, int length)
    {
        if (!Sse.IsSupported || length <= 0)
        {
            return;
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)start + length, array.Length, nameof(length));
        fixed (float* first = &array[start])
        {
            for (int offset = 0; offset < length; offset += FloatsPerCacheLine)
            {
                Sse.Prefetch0(first + offset);
            }
        }
    }
}
