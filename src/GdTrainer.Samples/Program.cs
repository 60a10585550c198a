using GdTrainer.Samples.Cli;
using GdTrainer.Samples.Seed;

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
                case "help" or "--help" or "-h":
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
    }

    private static void PrintUsage(TextWriter writer)
    {
        writer.WriteLine("usage: dotnet run --project src/GdTrainer.Samples -- <command> [options]");
        writer.WriteLine("  " + SeedCommand.Usage + "   (default)");
    }
}
