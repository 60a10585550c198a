namespace GdTrainer.Tests.Training;

using System.Diagnostics;
using GdTrainer.Training;

/// <summary>
/// The communicator's collectives and failures, on ranks that are threads (<see cref="InProcessCommunicator"/>): the results
/// are the same bits on every rank and taken in rank order; a rank that stops calling, fails, leaves or calls another
/// collective makes the others throw an error naming it, within the timeout.
/// </summary>
public sealed class CommunicatorTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void AllGatherPlacesEachRanksPartByRankOnEveryRank(int size)
    {
        int[] counts = Enumerable.Range(0, size).Select(r => (2 * r) + 1).ToArray();
        float[] expected = Enumerable.Range(0, size).SelectMany(r => Enumerable.Range(0, counts[r]).Select(i => Part(r, i))).ToArray();
        var gathered = new float[size][];
        RunRanks(size, TimeSpan.FromSeconds(10), c =>
        {
            float[] local = Enumerable.Range(0, counts[c.Rank]).Select(i => Part(c.Rank, i)).ToArray();
            var result = new float[counts.Sum()];
            c.AllGather<float>(local, result, counts);
            gathered[c.Rank] = result;
        }).ThrowIfAny();

        foreach (float[] result in gathered)
        {
            Assert.Equal(Bits(expected), Bits(result));
        }

        static float Part(int rank, int i) => MathF.ScaleB(1 + (i / 7f), rank - i) * (i % 2 == 0 ? 1 : -1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AStagedAllGatherSendsWhatEachRankWroteInItsBufferInRankOrder(int size)
    {
        int[] counts = [.. Enumerable.Range(0, size).Select(r => r == 1 ? 0 : (3 * r) + 2)];
        float[] expected = [.. Enumerable.Range(0, size).SelectMany(r => Enumerable.Range(0, counts[r]).Select(i => Part(r, i)))];
        var gathered = new float[size][];
        RunRanks(size, TimeSpan.FromSeconds(10), c =>
        {
            IShardCommunicator ranks = c;
            for (int round = 0; round < 2; round++)
            {
                Span<float> mine = ranks.StageAllGather(counts);
                Assert.Equal(counts[c.Rank], mine.Length);
                for (int i = 0; i < mine.Length; i++)
                {
                    mine[i] = Part(c.Rank, i);
                }

                gathered[c.Rank] = ranks.AllGatherStaged().ToArray();
            }

            Assert.Throws<InvalidOperationException>(() => ranks.AllGatherStaged()); // Nothing staged.
        }).ThrowIfAny();

        foreach (float[] result in gathered)
        {
            Assert.Equal(Bits(expected), Bits(result));
        }

        // Subnormals and NaNs with payloads: the bits must arrive as they were written.
        static float Part(int rank, int i) => BitConverter.Int32BitsToSingle(i % 2 == 0 ? (rank << 16) | i : 0x7FC00000 | (rank << 8) | i);
    }

    [Fact]
    public void AllGatherOfEqualPartsAndOfAnEmptyPart()
    {
        var results = new double[3][];
        RunRanks(3, TimeSpan.FromSeconds(10), c =>
        {
            var all = new double[6];
            c.AllGather<double>([c.Rank, -c.Rank], all);
            results[c.Rank] = all;
            c.AllGather<double>(ReadOnlySpan<double>.Empty, Span<double>.Empty);
        }).ThrowIfAny();

        foreach (double[] result in results)
        {
            Assert.Equal([0, -0.0, 1, -1, 2, -2], result);
        }
    }

    [Fact]
    public void SumIsTakenInRankOrderSoEveryRankGetsTheSameBits()
    {
        // (1e16 + 1) - 1e16 is 0 in doubles (1e16 + 1 rounds to 1e16), while (1e16 - 1e16) + 1 would be 1: rank order decides.
        double[] values = [1e16, 1, -1e16];
        var sums = new double[3];
        var maxima = new double[3];
        var minima = new double[3];
        RunRanks(3, TimeSpan.FromSeconds(10), c =>
        {
            sums[c.Rank] = c.AllReduce(values[c.Rank], ReduceOperation.Sum);
            maxima[c.Rank] = c.AllReduce(values[c.Rank], ReduceOperation.Max);
            minima[c.Rank] = c.AllReduce(values[c.Rank], ReduceOperation.Min);
        }).ThrowIfAny();

        Assert.All(sums, s => Assert.Equal(0.0, s));
        Assert.All(maxima, m => Assert.Equal(1e16, m));
        Assert.All(minima, m => Assert.Equal(-1e16, m));
    }

    [Fact]
    public void AllReduceOfSeveralValuesAndOfLongs()
    {
        var doubles = new double[4][];
        var longs = new long[4][];
        RunRanks(4, TimeSpan.FromSeconds(10), c =>
        {
            double[] d = [c.Rank, c.Rank == 2 ? double.NaN : 1.0];
            c.AllReduce(d, ReduceOperation.Max);
            doubles[c.Rank] = d;
            long[] l = [c.Rank + 1, 10L * c.Rank];
            c.AllReduce(l, ReduceOperation.Sum);
            longs[c.Rank] = l;
        }).ThrowIfAny();

        Assert.All(doubles, d => { Assert.Equal(3.0, d[0]); Assert.True(double.IsNaN(d[1])); });
        Assert.All(longs, l => Assert.Equal([10L, 60L], l));
    }

    [Fact]
    public void ALongSumThatOverflowsThrowsOnEveryRank()
    {
        Exception?[] errors = RunRanks(2, TimeSpan.FromSeconds(10), c => c.AllReduce(long.MaxValue - c.Rank, ReduceOperation.Sum)).Errors;
        Assert.All(errors, e => Assert.IsType<OverflowException>(e));
    }

    [Fact]
    public void BroadcastCopiesTheRootsBufferToEveryRank()
    {
        var buffers = new long[3][];
        RunRanks(3, TimeSpan.FromSeconds(10), c =>
        {
            long[] buffer = c.Rank == 2 ? [7, -8, long.MinValue] : new long[3];
            c.Broadcast<long>(buffer, root: 2);
            c.Barrier();
            buffers[c.Rank] = buffer;
        }).ThrowIfAny();

        Assert.All(buffers, b => Assert.Equal([7, -8, long.MinValue], b));
    }

    [Fact]
    public void ARankThatStopsAnsweringIsNamedByEveryOtherRankWithinTheTimeout()
    {
        using var release = new ManualResetEventSlim();
        var elapsed = new TimeSpan[3];
        Exception?[] errors = RunRanks(3, Short, c =>
        {
            var clock = Stopwatch.StartNew();
            c.Barrier();
            if (c.Rank == 1)
            {
                release.Wait(TimeSpan.FromSeconds(10)); // stops answering: never calls the next collective
                return;
            }

            try
            {
                c.AllReduce(1.0, ReduceOperation.Sum);
            }
            finally
            {
                elapsed[c.Rank] = clock.Elapsed;
            }
        }, afterRank: r => { if (r != 1) { release.Set(); } }).Errors;

        foreach (int rank in new[] { 0, 2 })
        {
            CommunicatorException error = Assert.IsType<CommunicatorException>(errors[rank]);
            Assert.Equal([1], error.FailedRanks);
            Assert.Equal(rank, error.Rank);
            Assert.Contains("rank 1 did not take part", error.Message, StringComparison.Ordinal);
            Assert.Contains("all-reduce #2", error.Message, StringComparison.Ordinal);
            Assert.Contains("last collective was barrier #1", error.Message, StringComparison.Ordinal);
            Assert.InRange(elapsed[rank], Short, Short + TimeSpan.FromSeconds(5));
        }

        Assert.Null(errors[1]);
    }

    [Fact]
    public void AFailingRankIsNamedWithItsReasonAtOnce()
    {
        var clock = Stopwatch.StartNew();
        Exception?[] errors = RunRanks(3, TimeSpan.FromSeconds(20), c =>
        {
            if (c.Rank == 2)
            {
                c.Fail("reading shard 2 failed: disk full");
                Assert.True(c.IsFailed);
                Assert.Throws<CommunicatorException>(c.Barrier);
                return;
            }

            c.Barrier();
        }).Errors;

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the others waited {clock.Elapsed} for a rank that had told them it failed");
        foreach (int rank in new[] { 0, 1 })
        {
            CommunicatorException error = Assert.IsType<CommunicatorException>(errors[rank]);
            Assert.Equal([2], error.FailedRanks);
            Assert.Contains("rank 2 failed: reading shard 2 failed: disk full", error.Message, StringComparison.Ordinal);
        }

        Assert.Null(errors[2]);
    }

    [Fact]
    public void ARankThatLeavesIsNamed()
    {
        Exception?[] errors = RunRanks(2, TimeSpan.FromSeconds(20), c =>
        {
            if (c.Rank == 1)
            {
                c.Dispose();
                return;
            }

            c.Broadcast<float>(new float[4], root: 0);
        }).Errors;

        CommunicatorException error = Assert.IsType<CommunicatorException>(errors[0]);
        Assert.Equal([1], error.FailedRanks);
        Assert.Contains("rank 1 left the group", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RanksThatCallDifferentCollectivesAreToldWhichCalledWhat()
    {
        Exception?[] errors = RunRanks(2, TimeSpan.FromSeconds(20), c =>
        {
            if (c.Rank == 0)
            {
                c.Barrier();
            }
            else
            {
                c.Broadcast<float>(new float[2], root: 1);
            }
        }).Errors;

        foreach (Exception? e in errors)
        {
            CommunicatorException error = Assert.IsType<CommunicatorException>(e);
            Assert.Contains("rank 0 called the barrier #1", error.Message, StringComparison.Ordinal);
            Assert.Contains("rank 1 called the broadcast #1", error.Message, StringComparison.Ordinal);
            Assert.Equal([0, 1], error.FailedRanks);
        }
    }

    [Fact]
    public void AfterAFailureEveryCallThrowsNamingTheFirstFailure()
    {
        Exception?[] errors = RunRanks(2, Short, c =>
        {
            if (c.Rank == 1)
            {
                return;
            }

            Assert.Throws<CommunicatorException>(c.Barrier);
            CommunicatorException again = Assert.Throws<CommunicatorException>(() => c.AllReduce(1L, ReduceOperation.Max));
            Assert.Contains("failed earlier", again.Message, StringComparison.Ordinal);
            Assert.Contains("barrier #1", again.Message, StringComparison.Ordinal);
            Assert.Equal([1], again.FailedRanks);
        }).Errors;

        Assert.All(errors, Assert.Null);
    }

    [Fact]
    public void ArgumentsAreCheckedBeforeAnythingIsSent()
    {
        using InProcessCommunicator c = InProcessCommunicator.CreateGroup(2)[1];
        Assert.Contains("count for this rank is 3", Assert.Throws<ArgumentException>(() => c.AllGather<float>(new float[2], new float[5], [2, 3])).Message, StringComparison.Ordinal);
        Assert.Contains("destination of 4", Assert.Throws<ArgumentException>(() => c.AllGather<float>(new float[2], new float[5])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => c.AllGather<float>(new float[2], new float[2], [2]));
        Assert.Throws<ArgumentException>(() => c.AllGather<float>(new float[0], new float[0], [-1, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.Broadcast<float>(new float[1], root: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.AllReduce(1.0, (ReduceOperation)7));
        Assert.Throws<ArgumentOutOfRangeException>(() => InProcessCommunicator.CreateGroup(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => InProcessCommunicator.CreateGroup(2, TimeSpan.Zero));
        Assert.False(c.IsFailed);
        Assert.Equal("rank 1 of 2", c.ToString());
    }

    [Fact]
    public void WithoutAnMpiLibraryTheErrorSaysWhatToInstall()
    {
        string? before = Environment.GetEnvironmentVariable("GDTRAINER_MPI_LIBRARY");
        try
        {
            Environment.SetEnvironmentVariable("GDTRAINER_MPI_LIBRARY", "/nonexistent/libmpich.so.12");
            var error = Assert.Throws<InvalidOperationException>(MpiCommunicator.FromEnvironment);
            Assert.Contains("/nonexistent/libmpich.so.12", error.Message, StringComparison.Ordinal);
            Assert.Contains("apt-get install mpich", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GDTRAINER_MPI_LIBRARY", before);
        }
    }

    private static uint[] Bits(float[] values) => values.Select(BitConverter.SingleToUInt32Bits).ToArray();

    /// <summary>Runs <paramref name="body"/> on a thread per rank of a new group; returns each rank's exception (null if none).</summary>
    private static RankErrors RunRanks(int size, TimeSpan timeout, Action<Communicator> body, Action<int>? afterRank = null)
    {
        InProcessCommunicator[] ranks = InProcessCommunicator.CreateGroup(size, timeout);
        var errors = new Exception?[size];
        var threads = new Thread[size];
        for (int r = 0; r < size; r++)
        {
            int rank = r;
            threads[r] = new Thread(() =>
            {
                try
                {
                    body(ranks[rank]);
                }
                catch (Exception e)
                {
                    errors[rank] = e;
                }
                finally
                {
                    afterRank?.Invoke(rank);
                }
            });
            threads[r].Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(60)), "a rank thread hung");
        }

        return new RankErrors(errors);
    }

    private sealed record RankErrors(Exception?[] Errors)
    {
        internal void ThrowIfAny()
        {
            foreach (Exception? e in Errors)
            {
                if (e is not null)
                {
                    throw new InvalidOperationException("a rank failed", e);
                }
            }
        }
    }
}
