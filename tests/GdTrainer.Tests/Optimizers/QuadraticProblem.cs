namespace GdTrainer.Tests.Optimizers;

using GdTrainer.Autograd;
using GdTrainer.Optimizers;

/// <summary>
/// f(θ) = ½ Σ aᵢ (θᵢ − cᵢ)², whose gradient aᵢ (θᵢ − cᵢ) is also computed by hand in double. The length, 19, covers
/// the SIMD loop and the scalar tail of the update kernels for 8- and 16-wide vectors; θ never starts at c.
/// </summary>
internal sealed class QuadraticProblem
{
    public const int Length = 19;

    private readonly Tensor<float> _a;
    private readonly Tensor<float> _c;

    public QuadraticProblem(double shift = 0.0)
    {
        var a = new float[Length];
        var c = new float[Length];
        var theta = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            a[i] = (float)(0.5 + ((i * 7 % 11) / 4.0));
            c[i] = (float)((((i * 5 % 9) - 4) / 2.0) + 0.25 + shift);
            theta[i] = (float)(((i * 3 % 7) - 3) / 3.0);
        }

        A = Array.ConvertAll(a, x => (double)x);
        C = Array.ConvertAll(c, x => (double)x);
        Start = Array.ConvertAll(theta, x => (double)x);
        _a = Tensor.From<float>(a);
        _c = Tensor.From<float>(c);
    }

    public double[] A { get; }

    public double[] C { get; }

    public double[] Start { get; }

    public Tensor<float> NewParameter() => Tensor.From<float>(Array.ConvertAll(Start, x => (float)x), requiresGrad: true);

    /// <summary>Accumulates the gradient of f into <c>p.Grad</c> through the autograd engine.</summary>
    public void Backward(Tensor<float> p)
    {
        Tensor<float> d = p - _c;
        ((_a * d * d).Sum() * 0.5f).Backward();
    }

    /// <summary>The gradient by hand, in double.</summary>
    public double[] Gradient(double[] theta)
    {
        var g = new double[Length];
        for (int i = 0; i < Length; i++)
        {
            g[i] = A[i] * (theta[i] - C[i]);
        }

        return g;
    }

    /// <summary>
    /// Runs <paramref name="steps"/> steps of <paramref name="optimizer"/> on <paramref name="p"/> (zero-grad, backward,
    /// step) and of <paramref name="reference"/> on a double copy, and asserts that they agree after every step.
    /// </summary>
    public void AssertFollows(Optimizer optimizer, Tensor<float> p, Action<double[], double[]> reference, int steps = 5, double tolerance = 2e-5)
    {
        double[] theta = (double[])Start.Clone();
        for (int step = 1; step <= steps; step++)
        {
            optimizer.ZeroGrad();
            Backward(p);
            optimizer.Step();
            reference(theta, Gradient(theta));
            for (int i = 0; i < Length; i++)
            {
                Assert.True(
                    Math.Abs(theta[i] - p.Data[i]) <= tolerance * Math.Max(1.0, Math.Abs(theta[i])),
                    $"Step {step}, element {i}: expected {theta[i]:R} (algorithm box in double), got {p.Data[i]:R}.");
            }
        }

        // The comparison is only meaningful if the parameter moved.
        Assert.True(MaxDifference(theta, Start) > 1e-3, "The reference did not move the parameter; the test would not detect a no-op optimizer.");
    }

    public static double MaxDifference(double[] x, double[] y)
    {
        double max = 0.0;
        for (int i = 0; i < x.Length; i++)
        {
            max = Math.Max(max, Math.Abs(x[i] - y[i]));
        }

        return max;
    }
}
