namespace GdTrainer.MLNet;

using Onnx;

/// <summary>
/// The graph outputs per task, named as ML.NET names the columns its transformers add. The one place where a task's outputs are
/// derived from the network's last value (<c>[N, outputs]</c>, the raw scores/logits), each as the in-memory transformer computes it:
/// <list type="bullet">
/// <item>Regression: <c>Score</c> float <c>[N, 1]</c> = the network output.</item>
/// <item>Binary: <c>Score</c> float <c>[N, 1]</c> = the logit, <c>Probability</c> float <c>[N, 1]</c> = <c>Sigmoid(Score)</c>,
/// <c>PredictedLabel</c> bool <c>[N, 1]</c> = <c>GreaterOrEqual(Probability, 0.5)</c> (the transformer's rule: exactly 0.5 is true,
/// NaN false). <c>GreaterOrEqual</c> exists from opset 12, so a binary model needs a featurizer of opset 12 or later.</item>
/// <item>Multiclass: <c>Score</c> float <c>[N, K]</c> = <c>Softmax(logits, axis 1)</c>, <c>PredictedLabel</c> uint32 <c>[N, 1]</c> =
/// <c>Cast(ArgMax(logits, axis 1, keepdims) + 1)</c>: the 1-based key, the first class on a tie (ArgMax's default
/// <c>select_last_index = 0</c>). The ArgMax reads the logits, as the transformer does, not the probabilities (where two classes can
/// tie after rounding). uint32 because a key column's raw type is <c>UInt32</c> and ML.NET's own ONNX export of a multiclass
/// <c>PredictedLabel</c> (ArgMax, Add 1, Cast to uint32) gives the same type, so graphs from both read the same way.</item>
/// </list>
/// </summary>
internal static class OnnxOutputs
{
    /// <summary>The score output: ML.NET's <c>Score</c> column.</summary>
    internal const string ScoreName = "Score";

    /// <summary>The binary probability output: ML.NET's <c>Probability</c> column.</summary>
    internal const string ProbabilityName = "Probability";

    /// <summary>The predicted label output: ML.NET's <c>PredictedLabel</c> column.</summary>
    internal const string PredictedLabelName = "PredictedLabel";

    /// <summary>The first opset with <c>GreaterOrEqual</c>, the binary label's operator.</summary>
    internal const int BinaryMinimumOpset = 12;

    private static readonly string[] RegressionOutputs = [ScoreName];
    private static readonly string[] BinaryOutputs = [PredictedLabelName, ScoreName, ProbabilityName];
    private static readonly string[] MulticlassOutputs = [PredictedLabelName, ScoreName];

    /// <summary>The names of the outputs <paramref name="kind"/> adds.</summary>
    internal static IReadOnlyList<string> Names(PredictionKind kind) => kind switch
    {
        PredictionKind.Regression => RegressionOutputs,
        PredictionKind.Binary => BinaryOutputs,
        PredictionKind.Multiclass => MulticlassOutputs,
        _ => throw new NotSupportedException($"ONNX export of {kind} models is not implemented."),
    };

    /// <summary>The oldest featurizer opset the graph of <paramref name="kind"/> can be appended to.</summary>
    internal static int MinimumOpset(PredictionKind kind) =>
        kind == PredictionKind.Binary ? BinaryMinimumOpset : GradientDescentOnnx.MinimumFeaturizerOpsetVersion;

    /// <summary>Adds the outputs of <paramref name="kind"/> computed from <paramref name="logits"/>.</summary>
    /// <exception cref="NotSupportedException">The task has no ONNX export.</exception>
    internal static void Add(OnnxGraphWriter writer, string logits, int outputCount, PredictionKind kind)
    {
        switch (kind)
        {
            case PredictionKind.Regression:
                writer.AddOutput(ScoreName, logits, outputCount);
                return;
            case PredictionKind.Binary:
            {
                string probability = writer.AddNode("Sigmoid", [logits], "probability");
                string label = writer.AddNode("GreaterOrEqual", [probability, writer.AddScalar("half", 0.5f)], "predicted_label");
                writer.AddOutput(PredictedLabelName, label, 1, TensorProto.Types.DataType.Bool);
                writer.AddOutput(ScoreName, logits, 1);
                writer.AddOutput(ProbabilityName, probability, 1);
                return;
            }

            case PredictionKind.Multiclass:
            {
                // Softmax before opset 13 flattens to 2-D at the axis; for [N, K] and axis 1 that is the same computation.
                string probabilities = writer.AddNode("Softmax", [logits], "probabilities", OnnxGraphWriter.IntAttribute("axis", 1));
                string index = writer.AddNode("ArgMax", [logits], "argmax", OnnxGraphWriter.IntAttribute("axis", 1), OnnxGraphWriter.IntAttribute("keepdims", 1));
                string key = writer.AddNode("Add", [index, writer.AddScalar("one", 1L)], "key");
                string label = writer.AddNode("Cast", [key], "predicted_label", OnnxGraphWriter.IntAttribute("to", (long)TensorProto.Types.DataType.Uint32));
                writer.AddOutput(PredictedLabelName, label, 1, TensorProto.Types.DataType.Uint32);
                writer.AddOutput(ScoreName, probabilities, outputCount);
                return;
            }

            default:
                throw new NotSupportedException($"ONNX export of {kind} models is not implemented.");
        }
    }
}
