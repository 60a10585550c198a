using GdTrainer.Samples.Seed;

namespace GdTrainer.Samples;

internal static class Program
{
    private static int Main(string[] args)
    {
        var result = SeedRegression.Train(new SeedRegressionOptions(), Console.Out);
        return result.Losses.Length > 0 ? 0 : 1;
    }
}
