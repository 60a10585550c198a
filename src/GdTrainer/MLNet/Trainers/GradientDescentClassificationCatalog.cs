namespace GdTrainer.MLNet;

using Microsoft.ML;

/// <summary>Adds <c>GradientDescent</c> to <c>mlContext.BinaryClassification.Trainers</c> and <c>mlContext.MulticlassClassification.Trainers</c>.</summary>
public static class GradientDescentClassificationCatalog
{
    /// <summary>
    /// Creates a <see cref="GradientDescentBinaryTrainer"/>: logistic regression trained by mini-batch gradient descent on the
    /// binary cross-entropy of logits. The other options keep their defaults (see <see cref="GradientDescentBinaryTrainer.Options"/>).
    /// </summary>
    /// <param name="catalog">The binary classification trainers catalog.</param>
    /// <param name="labelColumnName">The label column (Boolean). Default: <c>"Label"</c>.</param>
    /// <param name="featureColumnName">The feature column (known-size vector of Single). Default: <c>"Features"</c>.</param>
    /// <param name="exampleWeightColumnName">The optional example-weight column (Single). Default: null.</param>
    /// <param name="learningRate">The step size, or null to derive it (see the trainer's remarks). Default: null.</param>
    /// <param name="numberOfEpochs">The most passes over the data; training stops earlier when it converges. Default: null (1000 for the linear model).</param>
    /// <param name="batchSize">Rows per step; <see cref="GradientDescentTrainerOptions.FullBatch"/> for full batches. Default: 256.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range; the message names it and its value.</exception>
    public static GradientDescentBinaryTrainer GradientDescent(
        this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label",
        string featureColumnName = "Features",
        string? exampleWeightColumnName = null,
        float? learningRate = null,
        int? numberOfEpochs = null,
        int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new GradientDescentBinaryTrainer(GradientDescentCatalog.WithCommonOptions(new GradientDescentBinaryTrainer.Options(),
            labelColumnName, featureColumnName, exampleWeightColumnName, learningRate, numberOfEpochs, batchSize));
    }

    /// <summary>Creates a <see cref="GradientDescentBinaryTrainer"/> with all options.</summary>
    /// <param name="catalog">The binary classification trainers catalog.</param>
    /// <param name="options">The options (copied).</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it and its value.</exception>
    public static GradientDescentBinaryTrainer GradientDescent(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, GradientDescentBinaryTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new GradientDescentBinaryTrainer(options);
    }

    /// <summary>
    /// Creates a <see cref="GradientDescentMulticlassTrainer"/>: multinomial logistic regression trained by mini-batch gradient
    /// descent on the softmax cross-entropy. The other options keep their defaults (see <see cref="GradientDescentMulticlassTrainer.Options"/>).
    /// </summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="labelColumnName">The label column (a key type, e.g. from <c>MapValueToKey</c>). Default: <c>"Label"</c>.</param>
    /// <param name="featureColumnName">The feature column (known-size vector of Single). Default: <c>"Features"</c>.</param>
    /// <param name="exampleWeightColumnName">The optional example-weight column (Single). Default: null.</param>
    /// <param name="learningRate">The step size, or null to derive it (see the trainer's remarks). Default: null.</param>
    /// <param name="numberOfEpochs">The most passes over the data; training stops earlier when it converges. Default: null (1000 for the linear model).</param>
    /// <param name="batchSize">Rows per step; <see cref="GradientDescentTrainerOptions.FullBatch"/> for full batches. Default: 256.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range; the message names it and its value.</exception>
    public static GradientDescentMulticlassTrainer GradientDescent(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label",
        string featureColumnName = "Features",
        string? exampleWeightColumnName = null,
        float? learningRate = null,
        int? numberOfEpochs = null,
        int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new GradientDescentMulticlassTrainer(GradientDescentCatalog.WithCommonOptions(new GradientDescentMulticlassTrainer.Options(),
            labelColumnName, featureColumnName, exampleWeightColumnName, learningRate, numberOfEpochs, batchSize));
    }

    /// <summary>Creates a <see cref="GradientDescentMulticlassTrainer"/> with all options.</summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="options">The options (copied).</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it and its value.</exception>
    /// <exception cref="ArgumentException">A class weight is invalid, or two options contradict each other.</exception>
    public static GradientDescentMulticlassTrainer GradientDescent(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, GradientDescentMulticlassTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new GradientDescentMulticlassTrainer(options);
    }
}
