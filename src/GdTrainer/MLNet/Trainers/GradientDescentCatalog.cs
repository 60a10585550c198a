namespace GdTrainer.MLNet;

using Microsoft.ML;

/// <summary>Adds <c>GradientDescent</c> to <c>mlContext.Regression.Trainers</c>.</summary>
public static class GradientDescentCatalog
{
    /// <summary>
    /// Creates a <see cref="GradientDescentRegressionTrainer"/>: linear regression trained by mini-batch
    /// gradient descent on the mean squared error. The other options keep their defaults (see
    /// <see cref="GradientDescentRegressionTrainer.Options"/>): the features are standardised inside the trainer,
    /// training stops when the loss converges, and runs are deterministic (a fixed seed).
    /// </summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">The label column (Single). Default: <c>"Label"</c>.</param>
    /// <param name="featureColumnName">The feature column (known-size vector of Single). Default: <c>"Features"</c>.</param>
    /// <param name="exampleWeightColumnName">The optional example-weight column (Single). Default: null.</param>
    /// <param name="learningRate">The step size, or null to derive it from the data's curvature. Default: null.</param>
    /// <param name="numberOfEpochs">The most passes over the data; training stops earlier when it converges. Default: null (1000 for the linear model).</param>
    /// <param name="batchSize">Rows per step; <see cref="GradientDescentTrainerOptions.FullBatch"/> for full batches. Default: 256.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range; the message names it and its value.</exception>
    public static GradientDescentRegressionTrainer GradientDescent(
        this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label",
        string featureColumnName = "Features",
        string? exampleWeightColumnName = null,
        float? learningRate = null,
        int? numberOfEpochs = null,
        int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new GradientDescentRegressionTrainer(WithCommonOptions(new GradientDescentRegressionTrainer.Options(),
            labelColumnName, featureColumnName, exampleWeightColumnName, learningRate, numberOfEpochs, batchSize));
    }

    /// <summary>Sets the options every trainer's short catalog overload takes (the columns, rate, epochs and batch) and returns <paramref name="options"/>.</summary>
    internal static TOptions WithCommonOptions<TOptions>(
        TOptions options, string labelColumnName, string featureColumnName, string? exampleWeightColumnName, float? learningRate, int? numberOfEpochs, int batchSize)
        where TOptions : GradientDescentTrainerOptions
    {
        options.LabelColumnName = labelColumnName;
        options.FeatureColumnName = featureColumnName;
        options.ExampleWeightColumnName = exampleWeightColumnName;
        options.LearningRate = learningRate;
        options.NumberOfEpochs = numberOfEpochs;
        options.BatchSize = batchSize;
        return options;
    }

    /// <summary>Creates a <see cref="GradientDescentRegressionTrainer"/> with all options.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="options">The options (copied).</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it and its value.</exception>
    public static GradientDescentRegressionTrainer GradientDescent(this RegressionCatalog.RegressionTrainers catalog, GradientDescentRegressionTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new GradientDescentRegressionTrainer(options);
    }
}
