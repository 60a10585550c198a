using GdTrainer.Autograd;

namespace GdTrainer.Benchmarks.MlpEpoch;

/// <summary>
/// <c>mlp-kernels [--hidden 64] [--wall]</c>: the kernels of one MLP training step (20 -> h -> h -> 1, batch 256) timed one by one,
/// the best of 15 rounds of 500 calls each in thread CPU time (microseconds per call, so that other processes on a busy
/// machine count less), to see where a step's time goes.
/// </summary>
internal static partial class StepKernelTimings
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>The calling thread's CPU time (Linux CLOCK_THREAD_CPUTIME_ID = 3), in microseconds.</summary>
    private static double ThreadCpuMicroseconds()
    {
        _ = ClockGetTime(3, out TimeSpec time);
        return (time.Seconds * 1e6) + (time.Nanoseconds / 1e3);
    }

    public static void Run(string[] args)
    {
        int h = 64;
        bool wall = args.Contains("--wall");
        args = [.. args.Where(arg => arg != "--wall")];
        for (int i = 0; i < args.Length; i += 2)
        {
            if (args[i] != "--hidden" || i + 1 == args.Length)
            {
                throw new ArgumentException($"Unknown option '{args[i]}'; use --hidden 64 --wall.");
            }

            h = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
        }

        const int n = 256, d = 20;
        var random = new Random(1);
        float[] Fill(int length)
        {
            var values = new float[length];
            for (int i = 0; i < length; i++)
            {
                values[i] = (random.NextSingle() * 2) - 1;
            }

            return values;
        }

        float[] x = Fill(n * d), w1 = Fill(d * h), b1 = Fill(h), w2 = Fill(h * h), b2 = Fill(h), w3 = Fill(h);
        float[] h1 = new float[n * h], h2 = new float[n * h], p = new float[n], g = Fill(n), g2 = Fill(n * h), g1 = new float[n * h];
        float[] dw1 = new float[d * h], dw2 = new float[h * h], dw3 = new float[h], db = new float[h], ones = new float[n];
        ones.AsSpan().Fill(1);
        var state = new GdTrainer.Optimizers.AdamState(h * h, amsgrad: false);

        (string Name, Action Body)[] cases =
        [
            ("forward x@W1+b1 relu [256,20]@[20,h]", () => MatrixKernels.Multiply(x, w1, h1, n, d, h, b1, relu: true)),
            ("forward h1@W2+b2 relu [256,h]@[h,h]", () => MatrixKernels.Multiply(h1, w2, h2, n, h, h, b2, relu: true)),
            ("forward h2@w3 [256,h]@[h]", () => MatrixVectorKernels<float>.Multiply(h2, w3, p, n, h)),
            ("backward dw3 = h2^T g", () => MatrixVectorKernels<float>.MultiplyTransposedAdd(h2, g, dw3, n, h)),
            ("backward dh2 = g w3^T (k=1)", () => MatrixKernels.MultiplyByTransposed(g, w3, g2, n, 1, h, accumulate: true)),
            ("backward mask g2 by h2 (alternative: mask pass)", () => LinearNode<float>.MaskWherePositive(g2, h2, g1)),
            ("backward db2 (alternative: column-sum pass)", () => MatrixVectorKernels<float>.MultiplyTransposedAdd(g1, ones, db, n, h)),
            ("backward mask + db2 fused (one pass)", () => LinearNode<float>.MaskWherePositiveAndSumColumns(g2, h2, g1, db, n, h)),
            ("backward dW2 = h1^T g2", () => MatrixKernels.MultiplyTransposedAdd(h1, g2, dw2, n, h, h)),
            ("backward dh1 = g2 W2^T", () => MatrixKernels.MultiplyByTransposed(g2, w2, g1, n, h, h, accumulate: true)),
            ("backward dW1 = x^T g1", () => MatrixKernels.MultiplyTransposedAdd(x, g1, dw1, n, d, h)),
            ("adam on h*h params", () => GdTrainer.Optimizers.AdamKernel.Step(w2, dw2, state, 1e-9f, 0.9f, 0.999f, 1e-8f, 0f, 1f)),
        ];

        double total = 0;
        foreach ((string name, Action body) in cases)
        {

            double best = double.MaxValue;
            // Thread CPU time by default; with --wall, wall-clock time over many short rounds.
            (int rounds, int calls) = wall ? (200, 50) : (15, 500);
            for (int round = 0; round < rounds; round++)
            {
                double start = wall ? System.Diagnostics.Stopwatch.GetTimestamp() * 1e6 / System.Diagnostics.Stopwatch.Frequency : ThreadCpuMicroseconds();
                for (int i = 0; i < calls; i++)
                {
                    body();
                }

                double end = wall ? System.Diagnostics.Stopwatch.GetTimestamp() * 1e6 / System.Diagnostics.Stopwatch.Frequency : ThreadCpuMicroseconds();
                best = Math.Min(best, (end - start) / calls);
            }

            total += name.Contains("(alternative", StringComparison.Ordinal) ? 0 : best; // The step runs the other variant.
            Console.WriteLine($"{name,-44} {best,8:F2} us");
        }

        Console.WriteLine($"{"sum",-44} {total,8:F2} us");
    }
}
