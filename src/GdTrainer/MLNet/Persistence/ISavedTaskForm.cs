namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// What the saved carrier (<see cref="SavedModelCarrier"/>) and its restorer (<see cref="SavedModelRestorer"/>) need of a task:
/// the transformers that compute its output columns from the features and the model record (its score factory), the helper
/// columns they leave behind, how a loaded chain's scoring transformers are recognised as the task's, and how the task's
/// transformer is rebuilt from a recognised chain. The carrier's other steps (the concatenated features, the model key and
/// record, the stashes, the drop) are the same for every task. Persistence reaches the tasks, which sit above it, through this
/// interface and <see cref="PredictionTasks"/>.
/// </summary>
internal interface ISavedTaskForm : IPredictionTask
{
    /// <summary>
    /// The helper columns the carrier writes and drops at its end, in the order of its <c>DropColumns</c> (stored in the file):
    /// <see cref="SavedModelCarrier.HelperColumnsV2"/>, then the task's own.
    /// </summary>
    IReadOnlyList<string> HelperColumns { get; }

    /// <summary>
    /// The carrier's steps from the features and the model record to the task's output columns, in order, each fitting its
    /// transformer on the view the steps before it produce.
    /// </summary>
    /// <param name="mlContext">The context the carrier is built with.</param>
    /// <param name="columns">The output columns of the transformer being saved.</param>
    IReadOnlyList<Func<IDataView, ITransformer>> ScoringSteps(MLContext mlContext, PredictionColumns columns);

    /// <summary>Whether <paramref name="scoring"/>, the transformers between a loaded carrier's record map and its drop, are the steps this task writes (or wrote in an earlier release).</summary>
    bool IsScoringOf(ITransformer[] scoring);

    /// <summary>Whether a model of <paramref name="outputCount"/> outputs fits the task (one for regression and binary, two or more for multiclass).</summary>
    bool FitsOutputCount(int outputCount);

    /// <summary>Rebuilds the task's transformer from a recognised carrier.</summary>
    /// <param name="model">The model decoded from the carrier's record.</param>
    /// <param name="featureColumnName">The feature column from the record.</param>
    /// <param name="featureColumnType">Its type.</param>
    /// <param name="scoring">The carrier's scoring transformers (those <see cref="IsScoringOf"/> accepted).</param>
    /// <param name="carrierOutput">The carrier's output schema for its input (the multiclass key values are read from it).</param>
    /// <param name="protectedColumns">The stashes the carrier keeps, for the transformer's next save.</param>
    /// <exception cref="InvalidDataException">The carrier's output does not fit the model; the message says to save the model again.</exception>
    ITransformer Restore(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType, ITransformer[] scoring, DataViewSchema carrierOutput, ProtectedColumns protectedColumns);
}
