namespace GdTrainer.Samples.Mlp;

using GdTrainer.Models;

/// <summary>What the MLP example learned, with the data it learned from and the curve it fitted.</summary>
/// <param name="X">The training inputs, uniform on [-1, 1].</param>
/// <param name="Y">The training targets, <c>sin(3x)</c> plus noise.</param>
/// <param name="Grid">Evenly spaced x values on [-1, 1], ends included.</param>
/// <param name="Truth">The noise-free function <c>sin(3x)</c> at each grid value.</param>
/// <param name="Predictions">The trained network's output at each grid value (evaluation mode, no graph).</param>
/// <param name="Losses">The training mean squared error before each update, one per iteration.</param>
/// <param name="Model">The trained network, in evaluation mode.</param>
public sealed record MlpRegressionResult(float[] X, float[] Y, float[] Grid, float[] Truth, float[] Predictions, float[] Losses, Mlp Model);
