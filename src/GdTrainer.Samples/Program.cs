using GdTrainer.Samples.Classify;
using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Compare;
using GdTrainer.Samples.Convergence;
using GdTrainer.Samples.Distributed;
using GdTrainer.Samples.Mlp;
using GdTrainer.Samples.Persistence;
using GdTrainer.Samples.Seed;
using GdTrainer.Samples.Text;

namespace GdTrainer.Samples;

internal static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            CommandLineOptions options = CommandLineOptions.Parse(args, SeedCommand.Name);
            switch (options.Command)
            {
                case SeedCommand.Name:
                    return SeedCommand.Run(options, Console.Out);
                case CompareCommand.Name:
                    return CompareCommand.Run(options, Console.Out);
                case SaveLoadCommand.Name:
                    return SaveLoadCommand.Run(options, Console.Out);
                case ConvergenceCommand.Name:
                    return ConvergenceCommand.Run(options, Console.Out);
                case PredictCommand.Name:
                    return PredictCommand.Run(options, Console.Out);
                case MlpCommand.Name:
                    return MlpCommand.Run(options, Console.Out);
                case ClassifyCommand.Name:
                    return ClassifyCommand.Run(options, Console.Out);
                case ClassifyPredictCommand.Name:
                    return ClassifyPredictCommand.Run(options, Console.Out);
                case TextCommand.Name:
                    return TextCommand.Run(options, Console.Out);
                case DistributedCommand.Name:
                    return DistributedCommand.Run(options, Console.Out);
                case CommandLineOptions.HelpCommand:
                    PrintUsage(Console.Out);
                    return 0;
                default:
                    Console.Error.WriteLine($"Unknown command '{options.Command}'.");
                    PrintUsage(Console.Error);
                    return 2;
            }
        }
        catch (CommandLineException error)
        {
            Console.Error.WriteLine(error.Message);
            PrintUsage(Console.Error);
            return 2;
        }
        catch (Exception error) when (error is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            // Bad files and bad data: the message says which and why; no stack trace for a user error.
            Console.Error.WriteLine($"error: {error.Message}");
            return 1;
        }
    }

    private static void PrintUsage(TextWriter writer)
    {
        writer.WriteLine("usage: dotnet run --project src/GdTrainer.Samples -- <command> [options]");
        writer.WriteLine("  " + SeedCommand.Usage + "   (default)");
        writer.WriteLine("  " + CompareCommand.Usage);
        writer.WriteLine("  " + SaveLoadCommand.Usage);
        writer.WriteLine("  " + PredictCommand.Usage);
        writer.WriteLine("  " + ConvergenceCommand.Usage);
        writer.WriteLine("  " + MlpCommand.Usage);
        writer.WriteLine("  " + ClassifyCommand.Usage);
        writer.WriteLine("  " + ClassifyPredictCommand.Usage);
        writer.WriteLine("  " + TextCommand.Usage);
        writer.WriteLine("  " + DistributedCommand.Usage);
    }
}
