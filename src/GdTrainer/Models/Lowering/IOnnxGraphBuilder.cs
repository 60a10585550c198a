namespace GdTrainer.Models.Lowering;

/// <summary>
/// What a layer needs to write itself into an ONNX graph, without ONNX's protobuf types: Models defines it, and the ONNX export
/// (<c>GdTrainer.MLNet.OnnxGraphWriter</c>) implements it. Every name given is a local one (<c>layers.0.relu</c>); the builder makes
/// it unique in the graph and returns the full name, which later nodes take as input.
/// </summary>
internal interface IOnnxGraphBuilder
{
    /// <summary>Adds a node of the default ONNX domain with one output.</summary>
    /// <param name="opType">The ONNX operator, such as <c>Gemm</c> or <c>Relu</c>.</param>
    /// <param name="inputs">The full names of its input values, in the operator's order.</param>
    /// <param name="name">The local name of its output value.</param>
    /// <param name="attributes">The operator's attributes, such as <c>alpha</c> of <c>LeakyRelu</c>.</param>
    /// <returns>The full name of the node's output value.</returns>
    string AddNode(string opType, string[] inputs, string name, params OnnxAttribute[] attributes);

    /// <summary>Adds a float scalar constant (shape <c>[]</c>) and returns its full name.</summary>
    string AddScalar(string name, float value);

    /// <summary>Adds a float constant tensor of <paramref name="shape"/> holding <paramref name="values"/> (row-major) and returns its full name.</summary>
    string AddInitializer(string name, ReadOnlySpan<float> values, params int[] shape);
}
