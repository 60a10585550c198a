namespace GdTrainer.Training;

using GdTrainer.Models;

/// <summary>What <see cref="ModuleTrainer.Fit"/> returns: the trained model (the module it was given, trained in place) and its history.</summary>
/// <param name="Model">The trained module, in evaluation mode.</param>
/// <param name="History">What each epoch did and why training ended.</param>
public sealed record TrainingResult(Module Model, TrainingHistory History);
