namespace GdTrainer.MLNet;

using GdTrainer.Losses;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// What differs between the learning tasks that share the trainer core: the label column's type and how it is read as the
/// float target of the loss, the number of model outputs, the default loss, and whether the output bias starts at the
/// label mean.
/// </summary>
internal interface ITrainingTask
{
    /// <summary>The task's name in messages (e.g. "regression").</summary>
    string Name { get; }

    /// <summary>The loss used when the options set none.</summary>
    Loss DefaultLoss { get; }

    /// <summary>Whether the last layer's bias starts at the (weighted) label mean (regression), rather than at 0.</summary>
    bool StartsAtLabelMean { get; }

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
}
