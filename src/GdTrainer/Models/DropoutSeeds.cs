namespace GdTrainer.Models;

/// <summary>
/// The seeds of the dropout masks of one micro-shard of a training step: while a stream is current on a thread
/// (<see cref="Enter"/>), every training-mode <see cref="Dropout.Forward"/> on that thread takes its mask's seed from it instead
/// of the layer's own generator. A stream started for (run seed, step, shard) gives the same sequence of seeds whichever thread
/// runs the shard and however many threads there are, so the masks, and with them the trained model, do not depend on the
/// number of threads; the k-th dropout call of a shard (its k-th dropout layer in forward order) gets the k-th seed.
/// </summary>
/// <remarks>
/// The seeds are a SplitMix64 sequence (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014) whose
/// start is the SplitMix64 finaliser applied to the run seed, the step and the shard index in turn, so that neighbouring steps
/// and shards start far apart. Not thread-safe: one thread uses a stream at a time.
/// </remarks>
internal sealed class DropoutSeeds
{
    [ThreadStatic]
    private static DropoutSeeds? t_current;

    private ulong _state;

    /// <summary>The stream current on this thread, or null (layers draw from their own generators).</summary>
    internal static DropoutSeeds? Current => t_current;

    /// <summary>Starts the sequence of shard <paramref name="shard"/> of step <paramref name="step"/> of a run seeded with <paramref name="seed"/>.</summary>
    internal void Start(int seed, long step, int shard) =>
        _state = Mix(Mix(Mix(unchecked((ulong)seed)) ^ unchecked((ulong)step)) ^ unchecked((ulong)shard));

    /// <summary>The next seed of the sequence.</summary>
    internal ulong Next()
    {
        _state = unchecked(_state + 0x9E3779B97F4A7C15UL);
        return Mix(_state);
    }

    /// <summary>Makes this stream current on the calling thread until the returned scope is disposed (on the same thread).</summary>
    internal Scope Enter()
    {
        DropoutSeeds? previous = t_current;
        t_current = this;
        return new Scope(previous);
    }

    /// <summary>The SplitMix64 finaliser (a bijection of 64-bit values that spreads every input bit over the output).</summary>
    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>Restores the stream that was current before <see cref="Enter"/>.</summary>
    internal readonly struct Scope(DropoutSeeds? previous) : IDisposable
    {
        /// <summary>Restores the previous stream.</summary>
        public void Dispose() => t_current = previous;
    }
}
