namespace GdTrainer.Samples.Seed;

// Inside the namespace, so that `Autograd` names the class rather than the GdTrainer.Autograd namespace.
using GdTrainer.Autograd;

/// <summary>
/// PyTorch's linear-regression teaching example, line by line with the GdTrainer engine:
/// <code>
/// x = torch.rand(50); y = 3 * x + 0.8
/// w = torch.rand(1, requires_grad=True); b = torch.rand(1, requires_grad=True)
/// for i in range(3000):
///     y_pred = x * w + b
///     loss = (y_pred - y).pow(2).mean()
///     if w.grad is not None: w.grad.zero_(); b.grad.zero_()
///     loss.backward()
///     w.data -= lr * w.grad; b.data -= lr * b.grad
/// </code>
/// </summary>
public static class SeedRegression
{
    /// <summary>A loss this many times the first one means that gradient descent diverged (as in the ML.NET trainer).</summary>
    public const float DivergenceFactor = 1e4f;

    /// <summary>A run still going after this long prints an estimate of the time left (the first iterations include JIT compilation, so they are not timed alone).</summary>
    private static readonly TimeSpan s_estimateAfter = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Trains <c>y = w x + b</c> on <c>y = 3x + 0.8</c>, printing progress to <paramref name="log"/>: the loss every
    /// <see cref="SeedRegressionOptions.PrintEvery"/> iterations, and, once, an estimate of the time left when the run
    /// is still going after a second.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// Gradient descent diverged: the loss or <c>w</c> or <c>b</c> became NaN or infinite, or the loss grew to
    /// <see cref="DivergenceFactor"/> times its first value. The message names the iteration and the learning rate and
    /// suggests a smaller one.
    /// </exception>
    public static SeedRegressionResult Train(SeedRegressionOptions options, TextWriter log)
    {
        var generator = new Random(options.Seed);
        var x = Tensor.Rand([options.Points], generator);
        var y = 3f * x + 0.8f;

        var w = Tensor.Rand([1], generator, requiresGrad: true);
        var b = Tensor.Rand([1], generator, requiresGrad: true);
        log.WriteLine($"seed {options.Seed}: {options.Points} points, initial w = {w.Item():F4}, b = {b.Item():F4}");

        var losses = new float[options.Iterations];
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        bool estimated = false;
        for (int iteration = 1; iteration <= options.Iterations; iteration++)
        {
            float loss = Step(x, y, w, b, options.LearningRate);
            losses[iteration - 1] = loss;
            CheckDivergence(iteration, loss, losses[0], w.Item(), b.Item(), options.LearningRate);
            if (!estimated && iteration < options.Iterations && System.Diagnostics.Stopwatch.GetElapsedTime(started) is var elapsed && elapsed > s_estimateAfter)
            {
                estimated = true;
                TimeSpan left = elapsed / iteration * (options.Iterations - iteration);
                log.WriteLine(FormattableString.Invariant(
                    $"{iteration:N0} of {options.Iterations:N0} iterations over {options.Points:N0} points in {elapsed.TotalSeconds:F1} s: about {left.TotalSeconds:F0} s left (the loss is printed every {options.PrintEvery:N0} iterations; fewer --points or --iterations run faster)"));
            }

            if (iteration % options.PrintEvery == 0)
            {
                log.WriteLine($"iteration {iteration,5}: loss {loss:F6}");
            }
        }

        log.WriteLine($"w = {w.Item():F4}, b = {b.Item():F4} (data made with w = 3, b = 0.8)");
        return new SeedRegressionResult(x.ToArray(), y.ToArray(), w.Item(), b.Item(), losses);
    }

    private static void CheckDivergence(int iteration, float loss, float firstLoss, float weight, float bias, float learningRate)
    {
        string? what = !float.IsFinite(loss) ? FormattableString.Invariant($"the loss is {loss}")
            : !float.IsFinite(weight) || !float.IsFinite(bias) ? FormattableString.Invariant($"w = {weight}, b = {bias}")
            : firstLoss > 0 && loss > DivergenceFactor * firstLoss ? FormattableString.Invariant($"the loss grew from {firstLoss:G4} to {loss:G4}")
            : null;
        if (what is not null)
        {
            throw new InvalidOperationException(FormattableString.Invariant(
                $"Gradient descent diverged at iteration {iteration} with learning rate {learningRate:G6}: {what}. Each step overshoots the minimum by more than it gains; use a smaller --learning-rate (the default 0.01 converges on this data)."));
        }
    }

    /// <summary>
    /// One iteration of the example: predict, measure the loss, zero the gradients, backward, and
    /// update <paramref name="w"/> and <paramref name="b"/> under no-grad. The benchmarks time this method.
    /// </summary>
    /// <returns>The loss before the update.</returns>
    public static float Step(Tensor<float> x, Tensor<float> y, Tensor<float> w, Tensor<float> b, float learningRate)
    {
        var yPred = x * w + b;
        var loss = (yPred - y).Pow(2).Mean();

        w.ZeroGrad();
        b.ZeroGrad();
        loss.Backward();

        using (Autograd.NoGrad())
        {
            w.SubtractInPlace(w.Grad!, learningRate);
            b.SubtractInPlace(b.Grad!, learningRate);
        }

        return loss.Item();
    }
}
