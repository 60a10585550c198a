namespace GdTrainer.MLNet;

/// <summary>
/// What <see cref="GradientDescentRegressionTrainer"/> does with a row it cannot train on: a NaN or infinite label,
/// a NaN or infinite feature, or an example weight that is NaN, infinite, zero or negative
/// (see <see cref="GradientDescentTrainerOptions.InvalidRows"/>).
/// </summary>
public enum InvalidRowHandling
{
    /// <summary>
    /// Leave the row out of training, count it by reason in <see cref="GradientDescentModelParameters.RowCounts"/>
    /// and report the counts in a warning (to <c>Options.Logger</c> and <c>Options.MLContext</c>'s log). The default.
    /// </summary>
    Skip,

    /// <summary>
    /// Stop with an <see cref="System.InvalidOperationException"/> at the first such row, naming its position in the
    /// input (0-based), the column and the value.
    /// </summary>
    Error,
}
