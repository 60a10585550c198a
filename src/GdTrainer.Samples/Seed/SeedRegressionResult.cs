namespace GdTrainer.Samples.Seed;

/// <summary>What the seed example learned, with the data it learned from.</summary>
/// <param name="X">The inputs.</param>
/// <param name="Y">The targets, <c>3x + 0.8</c>.</param>
/// <param name="Weight">The learned slope <c>w</c>.</param>
/// <param name="Bias">The learned intercept <c>b</c>.</param>
/// <param name="Losses">The mean squared error before each update, one per iteration.</param>
public sealed record SeedRegressionResult(float[] X, float[] Y, float Weight, float Bias, float[] Losses);
