namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The task of a transformer, as the transformer sees it: which task it is, and how a transformer of the task is written into
/// an ML.NET model file. The tasks themselves (Tasks: <c>RegressionTask</c>, <c>BinaryTask</c>, <c>MulticlassTask</c>) implement
/// this and the other rooms' views of them (the saved form of Persistence, the ONNX outputs of Export, the training of the
/// trainers), so that what differs per task is written once, in the task; Scoring reaches them only through this interface and
/// <see cref="PredictionTasks"/>, and so never names Persistence, where the saved form is built.
/// </summary>
internal interface IPredictionTask
{
    /// <summary>The task, as stored with a saved model.</summary>
    PredictionKind Kind { get; }

    /// <summary>
    /// The chain of built-in ML.NET transformers that stands for a transformer of this task in a model file (ML.NET saves
    /// third-party transformers only through built-in ones): it scores identically and carries the model, its feature column
    /// and history, and the input columns to keep.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="featureColumnName">The feature column.</param>
    /// <param name="featureColumnType">Its type.</param>
    /// <param name="columns">The output columns of the transformer.</param>
    /// <param name="protectedColumns">What the transformer knows of its input columns.</param>
    /// <exception cref="NotSupportedException">The model holds a module type the save format cannot describe; the message names it.</exception>
    ITransformer CreateCarrier(GradientDescentModelParameters model, string featureColumnName, DataViewType featureColumnType, PredictionColumns columns, ProtectedColumns protectedColumns);
}
