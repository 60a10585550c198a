namespace GdTrainer.Models.Lowering;

/// <summary>
/// An activation as an <see cref="InferenceNetwork"/> applies it after a dense layer: the kernel that applies it to one row's
/// outputs in place, and its ONNX form. Each activation module type defines its own (a nested class in the module's file) and
/// hands it to <see cref="InferenceLowering.AddActivation"/> from its <see cref="Module.LowerForInference"/>, so the module's
/// forward pass, compiled kernel and ONNX form are written side by side.
/// </summary>
/// <param name="moduleType">The module type the activation was compiled from, named in errors.</param>
internal abstract class CompiledActivation(Type moduleType)
{
    /// <summary>The module type the activation was compiled from, named in errors.</summary>
    internal Type ModuleType { get; } = moduleType;

    /// <summary>The activation <see cref="DenseLayer.Activation"/> reports.</summary>
    internal abstract Activation Kind { get; }

    /// <summary>What <see cref="DenseLayer.NegativeSlope"/> reports: a leaky ReLU's slope for negative inputs; 0 for the others.</summary>
    internal virtual float NegativeSlope => 0f;

    /// <summary>What <see cref="DenseLayer.GeluTanhApproximation"/> reports: whether a GELU uses the tanh form; false for the others.</summary>
    internal virtual bool GeluTanhApproximation => false;

    /// <summary>
    /// Applies the activation to <paramref name="values"/> in place, with the kernels of the module's forward pass so that the
    /// compiled network scores as <see cref="Module.Forward"/> does. Runs once per layer and row: it must not allocate.
    /// </summary>
    /// <param name="values">One row's outputs of the dense layer.</param>
    /// <param name="temporary">Scratch of <paramref name="values"/>' length that the kernel may overwrite.</param>
    internal abstract void Apply(Span<float> values, Span<float> temporary);

    /// <summary>
    /// Appends the ONNX nodes that compute the activation of the value named <paramref name="input"/>, naming what it adds after
    /// <paramref name="name"/> (such as <c>layers.0</c>).
    /// </summary>
    /// <returns>The name of the activation's output value, or <see langword="null"/> when the activation has no ONNX form (the exporter then fails, naming <see cref="ModuleType"/>).</returns>
    internal abstract string? ExportOnnx(IOnnxGraphBuilder graph, string input, string name);
}
