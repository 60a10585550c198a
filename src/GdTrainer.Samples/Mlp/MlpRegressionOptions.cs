namespace GdTrainer.Samples.Mlp;

/// <summary>Settings of the MLP example: the data, the network, and the training loop.</summary>
public sealed record MlpRegressionOptions
{
    /// <summary>Number of training points, x uniform on [-1, 1]. Default: 300.</summary>
    public int Points { get; init; } = 300;

    /// <summary>Standard deviation of the Gaussian noise added to <c>sin(3x)</c>; 0 gives exact targets. Default: 0.1.</summary>
    public float Noise { get; init; } = 0.1f;

    /// <summary>Width of each hidden layer, in order (each at least 1). Default: <c>[32, 32]</c>.</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [32, 32];

    /// <summary>Full-batch Adam steps. Default: 2000.</summary>
    public int Iterations { get; init; } = 2000;

    /// <summary>Adam's initial learning rate, annealed along a cosine to zero over <see cref="Iterations"/>. Default: 0.01.</summary>
    public float LearningRate { get; init; } = 0.01f;

    /// <summary>Seed of the generator that draws the points and the noise, and of the network's initial weights. Default: 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Print the loss every this many iterations (and at the first and last). Default: 200.</summary>
    public int PrintEvery { get; init; } = 200;

    /// <summary>Number of evenly spaced x values on [-1, 1] (ends included) where the fitted curve is evaluated. Default: 201.</summary>
    public int GridPoints { get; init; } = 201;
}
