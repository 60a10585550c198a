namespace GdTrainer.MLNet;

using GdTrainer.Losses;
using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// What the trainer core (<see cref="TrainerCore"/>) needs of a learning task (<see cref="LearningTask{TTransformer}"/>): the label
/// column's type and how it is read as the float target of the loss, the number of model outputs, the default loss, where the
/// output bias starts, and the linear model's convergence tolerance and default penalty.
/// </summary>
internal interface ITrainingTask
{
    /// <summary>The task's name in messages (e.g. "regression").</summary>
    string Name { get; }

    /// <summary>The loss used when the options set none.</summary>
    Loss DefaultLoss { get; }

    /// <summary>
    /// The value the last layer's (single) bias starts at, from the (weighted) label mean of the training rows, when the
    /// features are standardised: the label mean for regression, its log-odds for binary classification; null to keep 0.
    /// </summary>
    float? InitialOutputBias(double labelMean);

    /// <summary>
    /// The linear model's default convergence tolerance: 1e-9 for regression (the weights must come within 1e-4 of the
    /// closed-form optimum), 1e-4 for classification (no closed form to reach; scikit-learn's <c>LogisticRegression</c> default):
    /// on adult 19 epochs reach L-BFGS's AUC to 2e-4 and its log-loss to 0.15%, where 1e-5 took 69 epochs for 0.04% and 1e-9 took 937.
    /// </summary>
    float LinearConvergenceTolerance { get; }

    /// <summary>
    /// The linear model's L2 coefficient when the options set none, for <paramref name="trainingRows"/> training rows: 0 for
    /// regression (least squares has a unique, finite optimum that the trainer reaches and the tests check), and
    /// <see cref="DefaultRegularization.LinearClassifierL2"/> (<c>1 / n</c>, indicator columns penalised per unit) for the
    /// classifiers, whose unpenalised optimum on small or separable data lies at extreme weights and probabilities.
    /// </summary>
    float DefaultLinearL2(int trainingRows);

    /// <summary>Checks the label column of an estimator's input shape.</summary>
    /// <exception cref="ArgumentException">The column is missing or of the wrong type.</exception>
    void CheckLabel(SchemaShape inputSchema, string labelColumnName, string parameterName);

    /// <summary>Checks the label column of a data view's schema and returns it.</summary>
    /// <exception cref="ArgumentException">The column is missing or of the wrong type.</exception>
    DataViewSchema.Column CheckLabel(DataViewSchema schema, string labelColumnName, string parameterName);

    /// <summary>The number of model outputs for the label column.</summary>
    int OutputCount(DataViewSchema.Column labelColumn);

    /// <summary>A getter of the current row's label as the loss's float target (NaN for a missing or unusable label).</summary>
    ValueGetter<float> LabelGetter(DataViewRow row, DataViewSchema.Column labelColumn);

    /// <summary>
    /// Checks the labels of the usable training rows (e.g. that more than one class appears), from their summary (gathered
    /// while the rows were read, so that streamed rows, whose labels are not kept, are checked the same way).
    /// </summary>
    /// <exception cref="InvalidOperationException">The labels cannot train this task; the message names the column and says what to do.</exception>
    void CheckTrainingLabels(LabelSummary labels, DataViewSchema.Column labelColumn);
}
