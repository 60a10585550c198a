namespace GdTrainer.MpiChecks;

using System.Diagnostics;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using GdTrainer.Training;

/// <summary>The collectives on known values: every rank checks each result's bits, then that all ranks hashed the same results.</summary>
internal static class CollectiveChecks
{
    internal static int Run(Communicator c)
    {
        var failures = new List<string>();
        var hash = new XxHash64();
        int size = c.Size;

        // Unequal parts, with values whose bits a conversion would change: -0, a subnormal, a NaN with a payload, infinities.
        int[] counts = Enumerable.Range(0, size).Select(r => r + 1).ToArray();
        float[] local = Enumerable.Range(0, counts[c.Rank]).Select(i => Value(c.Rank, i)).ToArray();
        float[] gathered = new float[counts.Sum()];
        c.AllGather<float>(local, gathered, counts);
        int at = 0;
        for (int r = 0; r < size; r++)
        {
            for (int i = 0; i < counts[r]; i++, at++)
            {
                Expect(failures, BitConverter.SingleToUInt32Bits(gathered[at]) == BitConverter.SingleToUInt32Bits(Value(r, i)), $"all-gather element {i} of rank {r}");
            }
        }

        hash.Append(MemoryMarshal.AsBytes<float>(gathered));

        // A gradient-sized all-gather: the [256, 256] MLP on 20 features has 71,425 parameters.
        const int parameters = 71_425;
        float[] gradient = new float[parameters];
        for (int i = 0; i < parameters; i++)
        {
            gradient[i] = (c.Rank * 1e-3f) + (i * 1e-7f);
        }

        float[] all = new float[parameters * size];
        for (int k = 0; k < 5; k++)
        {
            c.AllGather<float>(gradient, all); // the first calls set up MPI's connections
        }

        const int repeats = 50;
        var clock = Stopwatch.StartNew();
        for (int k = 0; k < repeats; k++)
        {
            c.AllGather<float>(gradient, all);
        }

        double microseconds = clock.Elapsed.TotalMicroseconds / repeats;
        for (int r = 0; r < size; r++)
        {
            for (int i = 0; i < parameters; i += 997)
            {
                Expect(failures, all[(r * parameters) + i] == (r * 1e-3f) + (i * 1e-7f), $"gradient all-gather element {i} of rank {r}");
            }
        }

        hash.Append(MemoryMarshal.AsBytes<float>(all));

        // Sums in rank order: rank 0 holds 1e16, rank 1 holds 1, the last rank -1e16: ((1e16 + 1) + ...) - 1e16 = 0 exactly,
        // whatever order MPI's own reduction would have used.
        double mine = c.Rank == 0 ? 1e16 : c.Rank == size - 1 && size > 1 ? -1e16 : 1.0;
        double sum = c.AllReduce(mine, ReduceOperation.Sum);
        double expectedSum = size == 1 ? 1e16 : 0.0;
        Expect(failures, BitConverter.DoubleToInt64Bits(sum) == BitConverter.DoubleToInt64Bits(expectedSum), $"rank-ordered sum {sum:R}, expected {expectedSum:R}");
        double[] stats = [c.Rank, -c.Rank, c.Rank == 1 ? double.NaN : 0.5];
        c.AllReduce(stats, ReduceOperation.Max);
        Expect(failures, stats[0] == size - 1 && stats[1] == 0 && (size > 1 ? double.IsNaN(stats[2]) : stats[2] == 0.5), "max of doubles");
        long[] rows = [1_000_000L * (c.Rank + 1), -c.Rank];
        c.AllReduce(rows, ReduceOperation.Sum);
        Expect(failures, rows[0] == 1_000_000L * size * (size + 1) / 2 && rows[1] == -(long)size * (size - 1) / 2, "sum of longs");
        long least = c.AllReduce(10L - c.Rank, ReduceOperation.Min);
        Expect(failures, least == 10L - (size - 1), "min of longs");
        hash.Append(MemoryMarshal.AsBytes<double>([sum, .. stats, least, rows[0], rows[1]]));

        // Broadcast from the last rank, then a barrier.
        double[] weights = c.Rank == size - 1 ? [Math.PI, -0.0, double.Epsilon] : new double[3];
        c.Broadcast<double>(weights, root: size - 1);
        Expect(failures, weights[0] == Math.PI && BitConverter.DoubleToInt64Bits(weights[1]) == BitConverter.DoubleToInt64Bits(-0.0) && weights[2] == double.Epsilon, "broadcast from the last rank");
        c.Barrier();
        hash.Append(MemoryMarshal.AsBytes<double>(weights));

        // Every rank must have the same results: gather the hashes.
        ulong[] hashes = new ulong[size];
        c.AllGather<ulong>([hash.GetCurrentHashAsUInt64()], hashes);
        Expect(failures, hashes.All(h => h == hashes[0]), $"results differ between ranks: hashes {string.Join(", ", hashes.Select(h => h.ToString("x16")))}");

        if (failures.Count > 0)
        {
            Console.Out.WriteLine($"rank {c.Rank}: collectives FAILED: {string.Join("; ", failures)}");
            return 1;
        }

        Console.Out.WriteLine($"rank {c.Rank}: collectives ok (results hash {hashes[0]:x16}; all-gather of {parameters:N0} floats per rank ~{microseconds:N0} µs, a rough figure on a shared machine)");
        return 0;
    }

    private static float Value(int rank, int i) => (i % 5) switch
    {
        0 => -0.0f,
        1 => float.Epsilon * (rank + 1),
        2 => BitConverter.UInt32BitsToSingle(0x7fc00000u | (uint)(rank + 1)),
        3 => rank % 2 == 0 ? float.PositiveInfinity : float.NegativeInfinity,
        _ => (rank * 10) + i + 0.1f,
    };

    private static void Expect(List<string> failures, bool condition, string what)
    {
        if (!condition)
        {
            failures.Add(what);
        }
    }
}
