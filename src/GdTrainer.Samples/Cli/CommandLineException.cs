namespace GdTrainer.Samples.Cli;

/// <summary>A command-line argument the samples cannot use; its message says which and why.</summary>
public sealed class CommandLineException(string message) : Exception(message);
