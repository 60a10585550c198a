namespace GdTrainer.Models.Lowering;

/// <summary>
/// Collects the dense layers of an <see cref="InferenceNetwork"/> while a module tree lowers itself into them: each module's
/// <see cref="Module.LowerForInference"/> adds its dense layer (<see cref="AddDense"/>), attaches its activation to the layer
/// before it (<see cref="AddActivation"/>), lowers its children (<see cref="LowerChild"/>), adds nothing (dropout), or says why
/// it cannot be compiled.
/// </summary>
internal sealed class InferenceLowering
{
    private readonly List<DenseLayer> _layers = [];
    private readonly List<string> _paths = [];

    /// <summary>The dense layers so far, input side first.</summary>
    internal IReadOnlyList<DenseLayer> Layers => _layers;

    /// <summary>The path of the module each layer came from, for messages.</summary>
    internal IReadOnlyList<string> Paths => _paths;

    /// <summary>A module's path for messages: <c>the root</c> or <c>'layers.2'</c>.</summary>
    internal static string Where(string path) => path.Length == 0 ? "the root" : $"'{path}'";

    /// <summary>Why a module of a type that defines no compiled form cannot be compiled (what <see cref="Module.LowerForInference"/> returns by default).</summary>
    internal static string CannotLower(Module module, string path) =>
        $"InferenceNetwork cannot compile the module at {Where(path)} of type {module.GetType().FullName}: it compiles only module types that " +
        "define their compiled form (the library's Linear, LinearModel, Mlp, Sequential, Dropout and activation modules). Score such a model with Module.Forward.";

    /// <summary>Lowers <paramref name="child"/>, registered under <paramref name="name"/> in the module at <paramref name="path"/>.</summary>
    /// <returns>Why the child cannot be compiled, or null.</returns>
    internal string? LowerChild(string path, string name, Module child) => child.LowerForInference(this, path.Length == 0 ? name : $"{path}.{name}");

    /// <summary>Adds the dense layer <c>y = x W + b</c> of the module at <paramref name="path"/>.</summary>
    /// <param name="path">The module's path.</param>
    /// <param name="inputs">The layer's inputs.</param>
    /// <param name="outputs">The layer's outputs.</param>
    /// <param name="weights">A copy of the weights, row-major <c>[inputs, outputs]</c>, which the network keeps.</param>
    /// <param name="bias">A copy of the bias, <paramref name="outputs"/> values (zeros for a layer without one), which the network keeps.</param>
    internal void AddDense(string path, int inputs, int outputs, float[] weights, float[] bias)
    {
        _layers.Add(new DenseLayer(inputs, outputs, weights, bias, activation: null));
        _paths.Add(path);
    }

    /// <summary>Attaches <paramref name="activation"/>, compiled from <paramref name="module"/> at <paramref name="path"/>, to the dense layer before it.</summary>
    /// <returns>Why it cannot be compiled (no dense layer before it, or that layer has an activation already), or null.</returns>
    internal string? AddActivation(Module module, string path, CompiledActivation activation)
    {
        if (_layers.Count == 0 || _layers[^1].CompiledActivation is not null)
        {
            return $"InferenceNetwork cannot compile the {module.GetType().Name} at {Where(path)}: it follows " +
                (_layers.Count == 0 ? "no linear layer" : $"the {_layers[^1].Activation} after the linear layer at {Where(_paths[^1])}") +
                ", and each activation must directly follow a linear layer (dropout between them is allowed). Score such a model with Module.Forward.";
        }

        _layers[^1] = _layers[^1].WithActivation(activation);
        return null;
    }
}
