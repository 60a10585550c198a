using GdTrainer.Samples.Commands;
using GdTrainer.Samples.Seed;

namespace GdTrainer.Samples;

internal static class Program
{
    private static int Main(string[] args)
    {
        // Minimal dispatch for the save-load and predict samples; the lead engineer owns the full command set.
        string command = args.Length > 0 ? args[0] : "seed";
        string[] rest = args.Length > 0 ? args[1..] : [];
        try
        {
            return command switch
            {
                "save-load" => SaveLoadCommand.Run(rest, Console.Out),
                "predict" => PredictCommand.Run(rest, Console.Out),
                _ => SeedRegression.Train(new SeedRegressionOptions(), Console.Out).Losses.Length > 0 ? 0 : 1,
            };
        }
        catch (Exception exception) when (exception is ArgumentException or IOException)
        {
            Console.Error.WriteLine($"{command}: {exception.Message}");
            return 2;
        }
    }
}
