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
    /// <summary>Trains <c>y = w x + b</c> on <c>y = 3x + 0.8</c>, printing progress to <paramref name="log"/>.</summary>
    public static SeedRegressionResult Train(SeedRegressionOptions options, TextWriter log)
    {
        var generator = new Random(options.Seed);
        var x = Tensor.Rand([options.Points], generator);
        var y = 3f * x + 0.8f;

        var w = Tensor.Rand([1], generator, requiresGrad: true);
        var b = Tensor.Rand([1], generator, requiresGrad: true);
        log.WriteLine($"seed {options.Seed}: {options.Points} points, initial w = {w.Item():F4}, b = {b.Item():F4}");

        var losses = new float[options.Iterations];
        for (int iteration = 1; iteration <= options.Iterations; iteration++)
        {
            float loss = Step(x, y, w, b, options.LearningRate);
            losses[iteration - 1] = loss;
            if (iteration % options.PrintEvery == 0)
            {
                log.WriteLine($"iteration {iteration,5}: loss {loss:F6}");
            }
        }

        log.WriteLine($"w = {w.Item():F4}, b = {b.Item():F4} (data made with w = 3, b = 0.8)");
        return new SeedRegressionResult(x.ToArray(), y.ToArray(), w.Item(), b.Item(), losses);
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
