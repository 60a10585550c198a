namespace GdTrainer.MLNet;

/// <summary>
/// What the ONNX export needs of a task: the graph outputs it adds, named as ML.NET names the columns its transformer adds, and
/// how each is computed from the network's last value (<c>[N, outputs]</c>, the raw scores or logits) as the in-memory transformer
/// computes it. The tasks, which sit above Export, implement it; <see cref="GradientDescentOnnx"/> reaches a model's task through
/// its transformer.
/// </summary>
internal interface IOnnxTaskOutputs : IPredictionTask
{
    /// <summary>The names of the outputs the task adds, which a featurizer the model is appended to must not have.</summary>
    IReadOnlyList<string> OnnxOutputNames { get; }

    /// <summary>The oldest featurizer opset the task's graph can be appended to: the first that defines every operator it adds.</summary>
    int MinimumFeaturizerOpset { get; }

    /// <summary>Adds the task's outputs computed from <paramref name="logits"/>.</summary>
    /// <param name="writer">The graph being written.</param>
    /// <param name="logits">The network's last value, <c>[N, outputCount]</c>.</param>
    /// <param name="outputCount">The number of model outputs.</param>
    void AddOnnxOutputs(OnnxGraphWriter writer, string logits, int outputCount);
}
