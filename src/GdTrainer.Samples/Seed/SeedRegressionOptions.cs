namespace GdTrainer.Samples.Seed;

/// <summary>Settings of the seed example; the defaults are the PyTorch program's.</summary>
public sealed record SeedRegressionOptions
{
    /// <summary>
    /// The most points the <c>seed</c> command accepts: 1,000,000. Every iteration runs the whole graph over all points
    /// (about 0.1 s per iteration at this size in a Debug build, so minutes for the default 3000 iterations);
    /// larger data belongs to the ML.NET trainer (the <c>compare</c> command).
    /// </summary>
    public const int MaxPoints = 1_000_000;

    /// <summary>Number of points. Default: 50.</summary>
    public int Points { get; init; } = 50;

    /// <summary>Gradient-descent iterations. Default: 3000.</summary>
    public int Iterations { get; init; } = 3000;

    /// <summary>Step size. Default: 0.01.</summary>
    public float LearningRate { get; init; } = 0.01f;

    /// <summary>Seed of the random generator that draws the points and the initial w and b. Default: 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Print the loss every this many iterations. Default: 500.</summary>
    public int PrintEvery { get; init; } = 500;
}
