namespace GdTrainer.Samples.Mlp;

using System.Diagnostics;

// Inside the namespace, so that `Autograd` names the class and `Mlp` the model rather than namespaces.
using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;

/// <summary>
/// A small multilayer perceptron fitted to a nonlinear 1-D function with the engine alone, written as
/// PyTorch's tutorials write it:
/// <code>
/// model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
/// optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
/// scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=2000)
/// loss_fn = nn.MSELoss()
/// for t in range(2000):
///     optimizer.zero_grad()
///     loss = loss_fn(model(x).squeeze(1), y)
///     loss.backward()
///     optimizer.step(); scheduler.step()
/// model.eval()
/// with torch.no_grad(): fitted = model(grid)
/// </code>
/// The data are <c>y = sin(3x) + noise</c> with x uniform on [-1, 1].
/// </summary>
public static class MlpRegression
{
    /// <summary>The function the network learns: <c>sin(3x)</c>.</summary>
    public static double TrueFunction(double x) => Math.Sin(3 * x);

    /// <summary>Trains the network described by <paramref name="options"/>, printing the loss to <paramref name="log"/>.</summary>
    /// <returns>The data, the fitted curve and the truth on a grid, the loss per iteration, and the model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (the message names it).</exception>
    public static MlpRegressionResult Train(MlpRegressionOptions options, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        Validate(options);

        (Tensor<float> x, Tensor<float> y) = MakeData(options.Points, options.Noise, new Random(options.Seed));

        var model = new Mlp(inputs: 1, options.Hidden, outputs: 1, Activation.Tanh, seed: options.Seed);
        var optimizer = new AdamOptimizer(model.Parameters(), learningRate: options.LearningRate);
        var scheduler = new CosineAnnealingScheduler(optimizer, tMax: options.Iterations);
        var lossFn = new MeanSquaredErrorLoss();
        log.WriteLine($"seed {options.Seed}: {options.Points} points of sin(3x) + N(0, {options.Noise:G3}²) on [-1, 1]; "
            + $"Mlp(1, [{string.Join(", ", options.Hidden)}], 1, Tanh), {model.Parameters().Sum(p => p.Length)} parameters; "
            + $"Adam lr {options.LearningRate:G3} with cosine annealing over {options.Iterations} full-batch steps");

        var losses = new float[options.Iterations];
        long start = Stopwatch.GetTimestamp();
        for (int iteration = 1; iteration <= options.Iterations; iteration++)
        {
            optimizer.ZeroGrad();
            var loss = lossFn.Compute(model.Forward(x), y);
            loss.Backward();
            optimizer.Step();
            scheduler.Step();

            losses[iteration - 1] = loss.Item();
            if (iteration == 1 || iteration % options.PrintEvery == 0 || iteration == options.Iterations)
            {
                log.WriteLine($"iteration {iteration,5}: loss {losses[iteration - 1]:F6}");
            }
        }

        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        log.WriteLine($"trained in {elapsed.TotalMilliseconds:F0} ms ({elapsed.TotalMicroseconds / options.Iterations:F0} µs per step, printing included)");

        (float[] grid, float[] truth) = MakeGrid(options.GridPoints);
        float[] predictions;
        model.Eval();
        using (Autograd.NoGrad())
        {
            predictions = model.Forward(Tensor.From<float>(grid, [grid.Length, 1])).ToArray();
        }

        log.WriteLine($"RMS distance of the fitted curve from sin(3x) on {grid.Length} grid points: {RootMeanSquareDistance(predictions, truth):F4} (noise sd {options.Noise:G3})");
        return new MlpRegressionResult(x.ToArray(), y.ToArray(), grid, truth, predictions, losses, model);
    }

    /// <summary>Root of the mean squared difference between two equally long sequences, in double.</summary>
    /// <exception cref="ArgumentException">The lengths differ or are zero.</exception>
    public static double RootMeanSquareDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.Length == 0)
        {
            throw new ArgumentException($"Both sequences must have the same non-zero length, but have {a.Length} and {b.Length}.");
        }

        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double difference = (double)a[i] - b[i];
            sum += difference * difference;
        }

        return Math.Sqrt(sum / a.Length);
    }

    /// <summary>x uniform on [-1, 1) as a <c>[n, 1]</c> column, and <c>y = sin(3x) + noise·N(0, 1)</c> as <c>[n]</c>.</summary>
    private static (Tensor<float> X, Tensor<float> Y) MakeData(int points, float noise, Random generator)
    {
        var x = new float[points];
        var y = new float[points];
        for (int i = 0; i < points; i++)
        {
            x[i] = (float)((2 * generator.NextDouble()) - 1);
        }

        for (int i = 0; i < points; i++)
        {
            y[i] = (float)(TrueFunction(x[i]) + (noise * StandardNormal(generator)));
        }

        return (Tensor.From<float>(x, [points, 1]), Tensor.From<float>(y));
    }

    /// <summary>One standard normal draw (Box-Muller, the cosine branch).</summary>
    private static double StandardNormal(Random generator) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - generator.NextDouble())) * Math.Cos(2.0 * Math.PI * generator.NextDouble());

    private static (float[] Grid, float[] Truth) MakeGrid(int count)
    {
        var grid = new float[count];
        var truth = new float[count];
        for (int i = 0; i < count; i++)
        {
            double x = -1.0 + (2.0 * i / (count - 1));
            grid[i] = (float)x;
            truth[i] = (float)TrueFunction(x);
        }

        return (grid, truth);
    }

    private static void Validate(MlpRegressionOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Points, 2, nameof(options.Points));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Iterations, 1, nameof(options.Iterations));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PrintEvery, 1, nameof(options.PrintEvery));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.GridPoints, 2, nameof(options.GridPoints));
        if (!(options.Noise >= 0 && float.IsFinite(options.Noise)))
        {
            throw new ArgumentOutOfRangeException(nameof(options.Noise), options.Noise, "The noise standard deviation must be a finite number >= 0.");
        }

        if (!(options.LearningRate > 0 && float.IsFinite(options.LearningRate)))
        {
            throw new ArgumentOutOfRangeException(nameof(options.LearningRate), options.LearningRate, "The learning rate must be a finite number > 0.");
        }

        ArgumentNullException.ThrowIfNull(options.Hidden, nameof(options.Hidden));
    }
}
