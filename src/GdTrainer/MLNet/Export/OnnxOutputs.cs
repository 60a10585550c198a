namespace GdTrainer.MLNet;

/// <summary>
/// The graph outputs per task, named as ML.NET names the columns its transformers add. The one place where a task's outputs are
/// derived from the network's last value (<c>[N, outputs]</c>, the raw scores/logits):
/// <list type="bullet">
/// <item>Regression: <c>Score</c> float <c>[N, 1]</c> = the network output.</item>
/// <item>Binary (to add with the binary transformer): <c>Score</c> = the logit, <c>Probability</c> = <c>Sigmoid(Score)</c>
/// (or the calibrated form the transformer uses), <c>PredictedLabel</c> = <c>Greater(Score, 0)</c> (bool <c>[N, 1]</c>).</item>
/// <item>Multiclass (to add with the multiclass transformer): <c>Score</c> = <c>Softmax(logits, axis 1)</c> float <c>[N, K]</c>,
/// <c>PredictedLabel</c> = <c>ArgMax(Score, axis 1)</c> + 1 as the key the transformer maps to (uint32 <c>[N, 1]</c>).</item>
/// </list>
/// </summary>
internal static class OnnxOutputs
{
    /// <summary>The score output: ML.NET's <c>Score</c> column.</summary>
    internal const string ScoreName = "Score";

    /// <summary>Adds the outputs of <paramref name="kind"/> computed from <paramref name="logits"/>.</summary>
    /// <exception cref="NotSupportedException">The task has no ONNX export yet.</exception>
    internal static void Add(OnnxGraphWriter writer, string logits, int outputCount, PredictionKind kind)
    {
        switch (kind)
        {
            case PredictionKind.Regression:
                writer.AddOutput(ScoreName, logits, outputCount);
                return;
            default:
                throw new NotSupportedException($"ONNX export of {kind} models is not implemented yet; only regression models export.");
        }
    }
}
