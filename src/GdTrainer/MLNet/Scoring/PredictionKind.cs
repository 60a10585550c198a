namespace GdTrainer.MLNet;

/// <summary>The task a saved model was trained for; its value is stored in the model record (<see cref="ModelPayload"/>).</summary>
internal enum PredictionKind : byte
{
    Regression = 0,
    Binary = 1,
    Multiclass = 2,
}
