namespace GdTrainer.Models;

using System.Text;
using GdTrainer.Autograd;
using GdTrainer.Models.Lowering;
using GdTrainer.Models.Records;

/// <summary>
/// A differentiable model or layer (PyTorch's <c>nn.Module</c>): its own trainable parameters, buffers (state saved with the
/// parameters but not trained) and child modules, each registered once under a name in a fixed order, a training/evaluation
/// mode, and a forward pass. Trainers and optimizers depend only on this type, so a model with hidden
/// layers (<see cref="Mlp"/>) replaces <see cref="LinearModel"/> without changing them.
/// </summary>
/// <remarks>
/// A subclass registers its parameters with <see cref="RegisterParameter"/>, its buffers with <see cref="RegisterBuffer"/> and
/// its children with <see cref="RegisterModule"/> in its constructor; <see cref="NamedParameters"/> then lists the
/// module's own parameters first, then each child's (recursively), in registration order, with
/// PyTorch's qualified keys (<c>"0.weight"</c>, <c>"layers.2.bias"</c>), and <see cref="NamedBuffers"/> the buffers likewise.
/// Modules are not thread-safe for changes (registration, mode, loading parameters), but the trainers run the forward passes of a
/// batch's micro-shards on several threads at once (<see cref="Training.TrainerSettings.NumberOfThreads"/>): a forward pass must
/// only read the module's parameters and state, as the library's modules do (<see cref="Dropout"/> takes its masks from the
/// shard's seeds there).
/// </remarks>
public abstract class Module
{
    private readonly List<ModuleParameter> _parameters = [];
    private readonly List<KeyValuePair<string, Tensor<float>>> _buffers = [];
    private readonly List<KeyValuePair<string, Module>> _children = [];

    // Bumped by every registration in any module: a parent cannot see its descendants' registrations,
    // so its cached lists are rebuilt whenever any module anywhere has changed since they were built.
    private static int s_structureVersion;
    private int _cachedVersion = -1;
    private IReadOnlyList<ModuleParameter>? _namedParameters;
    private IReadOnlyList<Tensor<float>>? _parameterValues;
    private IReadOnlyList<KeyValuePair<string, Tensor<float>>>? _namedBuffers;

    // The state dictionary's entries in PyTorch's order: each module's parameters, then its buffers, then its children's.
    private StateEntry[]? _stateEntries;

    /// <summary>
    /// Whether the module is in training mode (PyTorch's <c>training</c>), which changes the behaviour of
    /// some modules (<see cref="Dropout"/> drops only in training). Default: <see langword="true"/>,
    /// as in PyTorch.
    /// </summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>
    /// Whether the forward pass of this module or of any descendant depends on <see cref="IsTraining"/> (a <see cref="Dropout"/>
    /// anywhere in the tree), so that a loss measured in training mode is not the model's loss in evaluation mode. Computed from
    /// the tree on each call.
    /// </summary>
    public bool DependsOnTrainingMode
    {
        get
        {
            if (ReadsTrainingMode)
            {
                return true;
            }

            foreach (KeyValuePair<string, Module> child in _children)
            {
                if (child.Value.DependsOnTrainingMode)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// The bias tensor the forward pass adds last (the output layer's bias, PyTorch's <c>model[-1].bias</c>), which a trainer may
    /// start at the label's mean so that training does not spend its first epochs on the label's offset; <see langword="null"/>
    /// when the output does not end in a bias addition (an activation or a layer without bias comes last). Default:
    /// <see langword="null"/>; <see cref="Linear"/>, <see cref="LinearModel"/>, <see cref="Mlp"/> and <see cref="Sequential"/>
    /// (its last module's) say.
    /// </summary>
    public virtual Tensor<float>? OutputBias => null;

    /// <summary>
    /// Computes the output for a batch, recording the graph when grad mode is on (PyTorch's <c>forward</c>).
    /// </summary>
    /// <param name="input">A <c>[n, d]</c> tensor, one row per example.</param>
    /// <returns>
    /// A <c>[n, k]</c> tensor, one row per example; a layer with one output (<see cref="Linear"/> with
    /// <c>outputs == 1</c>, <see cref="LinearModel"/>) returns <c>[n]</c>, which keeps the common
    /// one-prediction-per-row path free of reshapes.
    /// </returns>
    /// <exception cref="ArgumentException">The input's shape does not fit the module (the message names both).</exception>
    public abstract Tensor<float> Forward(Tensor<float> input);

    /// <summary>
    /// Computes the output for a batch of sparse rows (text features, one-hot columns) without densifying them: the modules
    /// whose first operation is a product with a weight (<see cref="LinearModel"/>, <see cref="Linear"/>, and <see cref="Mlp"/>
    /// or a <see cref="Sequential"/> that starts with one) read only the non-zeros, an EmbeddingBag over the weight's rows.
    /// </summary>
    /// <exception cref="NotSupportedException">The module cannot read sparse rows; the message names its type.</exception>
    internal virtual Tensor<float> ForwardSparse(SparseRows input) => throw new NotSupportedException(
        $"{GetType().Name} cannot read sparse rows: only a module that starts with a product with a weight can (LinearModel, Linear, Mlp, or a Sequential whose first module is one). " +
        "Start the model with a Linear layer, or give the trainer dense features (a featurization of at most 1,024 slots is read densely).");

    /// <summary>
    /// The trainable tensors of this module and its descendants in the order of <see cref="NamedParameters"/>
    /// (PyTorch's <c>parameters()</c>): what an optimizer updates. A tensor registered in several places appears once.
    /// </summary>
    /// <returns>A read-only list, cached until any module registers a parameter or child, so calling it every step allocates nothing.</returns>
    public IReadOnlyList<Tensor<float>> Parameters()
    {
        Refresh();
        return _parameterValues!;
    }

    /// <summary>
    /// The trainable parameters with their qualified names and kinds (PyTorch's <c>named_parameters()</c>):
    /// this module's own parameters in registration order, then each child's in registration order, each
    /// child's names prefixed with the child's name and a dot (<c>"0.weight"</c>, <c>"layers.0.bias"</c>).
    /// A tensor registered in several places appears once, under its first name (as in PyTorch).
    /// </summary>
    /// <returns>A read-only list, cached until any module registers a parameter or child.</returns>
    public IReadOnlyList<ModuleParameter> NamedParameters()
    {
        Refresh();
        return _namedParameters!;
    }

    /// <summary>
    /// The buffers with their qualified names (PyTorch's <c>named_buffers()</c>): state that is saved and loaded with the
    /// parameters (<see cref="GetStateDict"/>, <see cref="SaveParameters"/>) but not trained, so it is not in
    /// <see cref="Parameters"/> and no optimizer touches it. This module's own buffers in registration order, then each child's,
    /// named as parameters are (<c>"norm.mean"</c>); a tensor registered in several places appears once, under its first name.
    /// </summary>
    /// <returns>A read-only list, cached until any module registers a parameter, buffer or child.</returns>
    public IReadOnlyList<KeyValuePair<string, Tensor<float>>> NamedBuffers()
    {
        Refresh();
        return _namedBuffers!;
    }

    /// <summary>The direct children with their names, in registration order (PyTorch's <c>named_children()</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, Module>> NamedChildren() => _children.AsReadOnly();

    /// <summary>
    /// Puts this module and all its descendants in training mode (PyTorch's <c>train()</c>), or in
    /// evaluation mode when <paramref name="mode"/> is <see langword="false"/>.
    /// </summary>
    /// <param name="mode">Training (<see langword="true"/>, the default) or evaluation.</param>
    public void Train(bool mode = true)
    {
        IsTraining = mode;
        foreach (KeyValuePair<string, Module> child in _children)
        {
            child.Value.Train(mode);
        }
    }

    /// <summary>Puts this module and all its descendants in evaluation mode (PyTorch's <c>eval()</c>); same as <c>Train(false)</c>.</summary>
    public void Eval() => Train(false);

    /// <summary>
    /// Sets the gradient of every parameter to zero, keeping its memory (PyTorch's <c>zero_grad(set_to_none=False)</c>;
    /// the same as <see cref="Optimizers.Optimizer.ZeroGrad"/> over <see cref="Parameters"/>).
    /// </summary>
    public void ZeroGrad()
    {
        IReadOnlyList<ModuleParameter> named = NamedParameters();
        for (int i = 0; i < named.Count; i++)
        {
            named[i].Value.ZeroGrad();
        }
    }

    /// <summary>
    /// The module's structure in PyTorch's printed form: the type name, its settings in parentheses, and
    /// each child on its own indented line as <c>(name): child</c>.
    /// </summary>
    public override string ToString()
    {
        var builder = new StringBuilder(GetType().Name).Append('(').Append(DescribeSettings());
        if (_children.Count > 0)
        {
            foreach (KeyValuePair<string, Module> child in _children)
            {
                builder.Append("\n  (").Append(child.Key).Append("): ").Append(child.Value.ToString().Replace("\n", "\n  ", StringComparison.Ordinal));
            }

            builder.Append('\n');
        }

        return builder.Append(')').ToString();
    }

    /// <summary>
    /// A short noun phrase naming the model in a log line ("training {model} on 100 rows"), such as <c>the linear model</c> or
    /// <c>an MLP 20 -> 64 -> 64 (Relu) -> 1</c>; <see cref="ToString"/> prints the whole structure. Default: the type's name.
    /// </summary>
    public virtual string Describe() => GetType().Name;

    /// <summary>
    /// A copy of every parameter and buffer under its qualified name (PyTorch's <c>state_dict()</c>), each module's parameters
    /// first, then its buffers, then its children's entries: later training does not change the copy, so it can restore the
    /// current values with <see cref="LoadStateDict"/>.
    /// </summary>
    public StateDict GetStateDict()
    {
        Refresh();
        StateEntry[] state = _stateEntries!;
        var entries = new KeyValuePair<string, Tensor<float>>[state.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            Tensor<float> value = state[i].Value;
            entries[i] = new(state[i].Name, Tensor.From<float>(value.Data, value.Shape));
        }

        return StateDict.FromOwned(entries);
    }

    /// <summary>
    /// Copies the values of <paramref name="state"/> into this module's parameters and buffers (PyTorch's
    /// <c>load_state_dict(strict=True)</c>, except for buffers: a buffer without an entry keeps its value, so that parameters
    /// saved before a module type gained a buffer still load). All or nothing: every key and shape is checked before anything
    /// changes. Gradients and the graph are left alone; the copy is not recorded.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// A parameter has no entry (missing key), an entry names no parameter or buffer (unexpected key), or an entry's shape
    /// differs from its parameter's or buffer's; the message lists every such key with the expected and found shapes.
    /// </exception>
    public void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Refresh();
        StateEntry[] entries = _stateEntries!;
        var problems = new List<string>();
        var expectedKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (StateEntry entry in entries)
        {
            expectedKeys.Add(entry.Name);
            if (!state.TryGetValue(entry.Name, out Tensor<float>? value))
            {
                if (!entry.IsBuffer)
                {
                    problems.Add($"missing key '{entry.Name}' (a parameter of shape {Shapes.Format(entry.Value.Shape)} has no saved value)");
                }
            }
            else if (!value.Shape.SequenceEqual(entry.Value.Shape))
            {
                problems.Add($"shape mismatch for '{entry.Name}': the module expects {Shapes.Format(entry.Value.Shape)} but the saved value is {Shapes.Format(value.Shape)}");
            }
        }

        foreach (string key in state.Keys)
        {
            if (!expectedKeys.Contains(key))
            {
                problems.Add($"unexpected key '{key}' (the module has no parameter or buffer of that name)");
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException(
                $"The saved parameters do not fit this {GetType().Name}: {string.Join("; ", problems)}. " +
                $"The module's keys are [{string.Join(", ", expectedKeys)}]; no parameter was changed.");
        }

        using (Autograd.NoGrad())
        {
            foreach (StateEntry entry in entries)
            {
                if (state.TryGetValue(entry.Name, out Tensor<float>? value))
                {
                    entry.Value.CopyFrom(value.Data);
                }
            }
        }
    }

    /// <summary>
    /// Writes every parameter and buffer under its qualified name to <paramref name="stream"/> in the checksummed
    /// format of <see cref="StateDict.Save"/> (PyTorch's <c>torch.save(model.state_dict(), f)</c>).
    /// The stream is left open.
    /// </summary>
    /// <exception cref="ArgumentException">The stream is not writable.</exception>
    public void SaveParameters(Stream stream) => GetStateDict().Save(stream);

    /// <summary>
    /// Reads parameters and buffers written by <see cref="SaveParameters"/> and copies them into this module
    /// (PyTorch's <c>model.load_state_dict(torch.load(f))</c>), as <see cref="LoadStateDict"/> does (a buffer the stream
    /// lacks keeps its value). All or nothing: the whole stream is read
    /// and its checksum verified, and every key and shape checked, before any parameter changes.
    /// The stream is left open, positioned after the saved parameters.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The stream is damaged (bad magic, unsupported version, truncated, checksum mismatch) or does not fit
    /// the module (missing parameter, unexpected key, shape mismatch); the message says which.
    /// </exception>
    /// <exception cref="ArgumentException">The stream is not readable.</exception>
    public void LoadParameters(Stream stream) => LoadStateDict(StateDict.Load(stream));

    /// <summary>
    /// Registers a trainable tensor of this module under <paramref name="name"/> (PyTorch's
    /// <c>register_parameter</c>). Call once per parameter, in the constructor, in a fixed order.
    /// </summary>
    /// <param name="name">The local name, such as <c>weight</c>: not empty, no dot, unique among this module's parameters, buffers and children.</param>
    /// <param name="tensor">A leaf tensor with <see cref="Tensor{T}.RequiresGrad"/> = <see langword="true"/>.</param>
    /// <param name="kind">Whether it is a weight (decayed by default) or a bias (not decayed by default).</param>
    /// <returns><paramref name="tensor"/>, for assignment to a field.</returns>
    /// <exception cref="ArgumentException">The name is empty, contains a dot or is taken, or the tensor is not a leaf that requires grad.</exception>
    protected Tensor<float> RegisterParameter(string name, Tensor<float> tensor, ParameterKind kind)
    {
        CheckName(name);
        _parameters.Add(new ModuleParameter(name, tensor, kind));
        Interlocked.Increment(ref s_structureVersion);
        return tensor;
    }

    /// <summary>
    /// Registers a buffer of this module under <paramref name="name"/> (PyTorch's <c>register_buffer</c>): state that the forward
    /// pass may read or update (such as running statistics) and that is saved and loaded with the parameters, but is not trained.
    /// Call once per buffer, in the constructor, in a fixed order. To change its values later, write into this tensor in place
    /// (as a running statistic is updated): the module keeps the tensor registered here, and loading copies into it.
    /// </summary>
    /// <param name="name">The local name, such as <c>mean</c>: not empty, no dot, unique among this module's parameters, buffers and children.</param>
    /// <param name="tensor">A tensor of rank 0 to 2 (the ranks <see cref="StateDict"/> saves) that does not require grad.</param>
    /// <returns><paramref name="tensor"/>, for assignment to a field.</returns>
    /// <exception cref="ArgumentException">The name is empty, contains a dot or is taken, or the tensor requires grad (register it with <see cref="RegisterParameter"/> to train it) or has a rank above 2.</exception>
    protected Tensor<float> RegisterBuffer(string name, Tensor<float> tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        CheckName(name);
        if (tensor.RequiresGrad)
        {
            throw new ArgumentException(
                $"The buffer '{name}' of {GetType().Name} requires grad, but a buffer is not trained. Register a trained tensor with RegisterParameter, or pass one created with requiresGrad: false.",
                nameof(tensor));
        }

        if (tensor.Rank > 2)
        {
            throw new ArgumentException(
                $"The buffer '{name}' of {GetType().Name} has rank {tensor.Rank} ({Shapes.Format(tensor.Shape)}); saved state holds tensors of rank 0 to 2. Reshape it to at most two dimensions.",
                nameof(tensor));
        }

        _buffers.Add(new(name, tensor));
        Interlocked.Increment(ref s_structureVersion);
        return tensor;
    }

    /// <summary>
    /// Registers <paramref name="child"/> under <paramref name="name"/> (PyTorch's <c>add_module</c>): its
    /// parameters join this module's with the prefix <c>name.</c>, and <see cref="Train"/> / <see cref="Eval"/> reach it.
    /// Call once per child, in the constructor, in a fixed order.
    /// </summary>
    /// <param name="name">The local name, such as <c>0</c> or <c>layers</c>: not empty, no dot, unique among this module's parameters, buffers and children.</param>
    /// <param name="child">The child module; it must not contain this module.</param>
    /// <returns><paramref name="child"/>, for assignment to a field.</returns>
    /// <exception cref="ArgumentException">The name is empty, contains a dot or is taken, or the child is this module or one of its ancestors.</exception>
    protected TModule RegisterModule<TModule>(string name, TModule child)
        where TModule : Module
    {
        ArgumentNullException.ThrowIfNull(child);
        CheckName(name);
        if (child.Contains(this))
        {
            throw new ArgumentException(
                $"Module '{name}' ({child.GetType().Name}) cannot be a child of {GetType().Name}: it is that module or contains it, which would make a cycle.",
                nameof(child));
        }

        _children.Add(new(name, child));
        Interlocked.Increment(ref s_structureVersion);
        return child;
    }

    /// <summary>
    /// Whether this module's own forward pass (its children aside, which answer for themselves) reads <see cref="IsTraining"/>,
    /// as <see cref="Dropout"/> does; <see cref="DependsOnTrainingMode"/> aggregates it over the tree. Default: <see langword="false"/>.
    /// </summary>
    protected virtual bool ReadsTrainingMode => false;

    /// <summary>The module's settings for <see cref="ToString"/> (PyTorch's <c>extra_repr</c>), such as <c>inputs: 3, outputs: 2, bias: true</c>. Default: empty.</summary>
    protected virtual string DescribeSettings() => string.Empty;

    /// <summary>
    /// Writes this module's settings into its <see cref="ModuleFormat"/> record, after the type tag (children through
    /// <see cref="ModuleRecordWriter.WriteChild"/>); the type's static <c>ReadRecord</c>, registered with its tag in
    /// <see cref="ModuleRecordTypes"/>, reads them back. Default: no settings. Only types registered there are saved.
    /// </summary>
    internal virtual void WriteRecord(ModuleRecordWriter writer)
    {
    }

    /// <summary>
    /// Lowers this module into the dense layers of an <see cref="InferenceNetwork"/> (its evaluation-mode forward pass): a
    /// linear layer adds a dense layer, an activation attaches its compiled kernel (which also knows its ONNX form) to the layer
    /// before it, a container lowers its children in order. Default: the type defines no compiled form, and the message says so.
    /// </summary>
    /// <param name="lowering">Collects the layers.</param>
    /// <param name="path">This module's qualified name in the tree (<c>layers.2</c>; empty for the root), for messages.</param>
    /// <returns>Why the module cannot be compiled (naming its type and path), or <see langword="null"/>.</returns>
    internal virtual string? LowerForInference(InferenceLowering lowering, string path) => InferenceLowering.CannotLower(this, path);

    private void Refresh()
    {
        int version = Volatile.Read(ref s_structureVersion);
        if (_cachedVersion == version && _namedParameters is not null)
        {
            return;
        }

        var named = new List<ModuleParameter>();
        var buffers = new List<KeyValuePair<string, Tensor<float>>>();
        var state = new List<StateEntry>();
        Collect(prefix: string.Empty, named, buffers, state, new HashSet<Tensor<float>>(ReferenceEqualityComparer.Instance));
        var values = new Tensor<float>[named.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = named[i].Value;
        }

        _namedParameters = named.AsReadOnly();
        _parameterValues = Array.AsReadOnly(values);
        _namedBuffers = buffers.AsReadOnly();
        _stateEntries = [.. state];
        _cachedVersion = version;
    }

    private void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The name '{name}' contains a dot, which separates the parts of qualified parameter names; choose another.", nameof(name));
        }

        foreach (ModuleParameter parameter in _parameters)
        {
            if (parameter.Name == name)
            {
                throw new ArgumentException($"{GetType().Name} already has a parameter named '{name}'.", nameof(name));
            }
        }

        foreach (KeyValuePair<string, Tensor<float>> buffer in _buffers)
        {
            if (buffer.Key == name)
            {
                throw new ArgumentException($"{GetType().Name} already has a buffer named '{name}'.", nameof(name));
            }
        }

        foreach (KeyValuePair<string, Module> child in _children)
        {
            if (child.Key == name)
            {
                throw new ArgumentException($"{GetType().Name} already has a child module named '{name}'.", nameof(name));
            }
        }
    }

    private bool Contains(Module module)
    {
        if (ReferenceEquals(this, module))
        {
            return true;
        }

        foreach (KeyValuePair<string, Module> child in _children)
        {
            if (child.Value.Contains(module))
            {
                return true;
            }
        }

        return false;
    }

    private void Collect(string prefix, List<ModuleParameter> parameters, List<KeyValuePair<string, Tensor<float>>> buffers, List<StateEntry> state, HashSet<Tensor<float>> seen)
    {
        foreach (ModuleParameter parameter in _parameters)
        {
            if (seen.Add(parameter.Value))
            {
                ModuleParameter named = prefix.Length == 0 ? parameter : parameter.WithPrefix(prefix);
                parameters.Add(named);
                state.Add(new StateEntry(named.Name, named.Value, IsBuffer: false));
            }
        }

        foreach (KeyValuePair<string, Tensor<float>> buffer in _buffers)
        {
            if (seen.Add(buffer.Value))
            {
                buffers.Add(new(prefix + buffer.Key, buffer.Value));
                state.Add(new StateEntry(prefix + buffer.Key, buffer.Value, IsBuffer: true));
            }
        }

        foreach (KeyValuePair<string, Module> child in _children)
        {
            child.Value.Collect(prefix + child.Key + ".", parameters, buffers, state, seen);
        }
    }

    /// <summary>One entry of the state dictionary: a parameter's or buffer's qualified name and tensor.</summary>
    private readonly record struct StateEntry(string Name, Tensor<float> Value, bool IsBuffer);
}
