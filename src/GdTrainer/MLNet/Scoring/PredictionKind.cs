namespace GdTrainer.MLNet;

/// <summary>
/// The task a model was trained for, as stored in its saved model record (<see cref="ModelPayload"/>: these byte values never
/// change), and the key by which <see cref="PredictionTasks"/> finds the task's <see cref="IPredictionTask"/>.
/// </summary>
internal enum PredictionKind : byte
{
    Regression = 0,
    Binary = 1,
    Multiclass = 2,
}
