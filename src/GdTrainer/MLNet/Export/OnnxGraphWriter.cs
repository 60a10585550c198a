namespace GdTrainer.MLNet;

using System.Globalization;
using System.Runtime.InteropServices;
using GdTrainer.Models;
using GdTrainer.Models.Lowering;
using Google.Protobuf;
using Onnx;

/// <summary>
/// Builds the ONNX graph of a dense network: nodes, initializers and outputs, either as a model of its own or appended to a
/// featurizer model exported by ML.NET. Every name it adds starts with <see cref="Prefix"/>, so it cannot collide with the
/// featurizer's. The layers write themselves (<see cref="DenseLayer"/> and its activation) through <see cref="IOnnxGraphBuilder"/>,
/// which this writer implements over ONNX's protobuf types.
/// </summary>
internal sealed class OnnxGraphWriter : IOnnxGraphBuilder
{
    /// <summary>The prefix of every node, value and initializer name this writer adds (outputs aside).</summary>
    internal const string Prefix = "GdTrainer/";

    /// <summary>The symbolic batch dimension of inputs and outputs.</summary>
    internal const string BatchDimension = "N";

    private readonly ModelProto _model;
    private readonly HashSet<string> _outputNames;
    private int _nameCounter;

    private OnnxGraphWriter(ModelProto model, string featureValue)
    {
        _model = model;
        FeatureValue = featureValue;
        _outputNames = new HashSet<string>(model.Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
    }

    /// <summary>The value holding the feature matrix <c>[N, features]</c>: the graph input, or the featurizer's output.</summary>
    internal string FeatureValue { get; }

    private GraphProto Graph => _model.Graph;

    /// <summary>A new model whose only input is the feature column, float <c>[N, featureCount]</c>.</summary>
    internal static OnnxGraphWriter Standalone(string featureColumnName, int featureCount)
    {
        var model = new ModelProto
        {
            IrVersion = GradientDescentOnnx.IrVersion,
            ProducerName = "GdTrainer",
            ProducerVersion = typeof(GradientDescentOnnx).Assembly.GetName().Version?.ToString() ?? string.Empty,
            Graph = new GraphProto { Name = "GdTrainer" },
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = GradientDescentOnnx.OpsetVersion });
        model.Graph.Input.Add(FloatMatrix(featureColumnName, featureCount));
        return new OnnxGraphWriter(model, featureColumnName);
    }

    /// <summary>The featurizer model, to which the network is appended reading its feature column output.</summary>
    /// <param name="featurizer">The featurizer model (not modified: the result is a clone).</param>
    /// <param name="featureColumnName">The model's feature column.</param>
    /// <param name="featureCount">The model's number of features.</param>
    /// <param name="minimumOpset">The oldest default-domain opset the appended nodes are defined in.</param>
    /// <param name="outputNames">The outputs the model will add: the featurizer must have none of them (nor their <c>.output</c> form).</param>
    internal static OnnxGraphWriter AppendedTo(ModelProto featurizer, string featureColumnName, int featureCount, int minimumOpset, IReadOnlyList<string> outputNames)
    {
        if (featurizer.Graph is null)
        {
            throw new ArgumentException("The featurizer ONNX model has no graph.", "featurizerOnnx");
        }

        OperatorSetIdProto? defaultDomain = featurizer.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        if (defaultDomain is null || defaultDomain.Version < minimumOpset)
        {
            throw new ArgumentException(
                $"The featurizer ONNX model uses {(defaultDomain is null ? "no default-domain opset" : $"opset {defaultDomain.Version}")}; " +
                $"the exported model needs opset {minimumOpset} or later. Export the featurizer with a later opset " +
                "(mlContext.Model.ConvertToOnnx(featurizer, data, opSetVersion, stream) accepts 9 to 12; its default is 12).",
                "featurizerOnnx");
        }

        ValueInfoProto? feature =
            featurizer.Graph.Output.FirstOrDefault(o => o.Name == featureColumnName + ".output")
            ?? featurizer.Graph.Output.FirstOrDefault(o => o.Name == featureColumnName);
        if (feature is null)
        {
            throw new ArgumentException(
                $"The featurizer ONNX model has no output '{featureColumnName}.output' or '{featureColumnName}' for the model's feature column; " +
                $"its outputs are: {string.Join(", ", featurizer.Graph.Output.Select(o => o.Name))}. Export the featurizer with the feature column among its outputs.",
                "featurizerOnnx");
        }

        CheckFeatureShape(feature, featureCount);

        // A featurizer whose feature output is a graph input passed through by an Identity computes nothing the model needs:
        // either it does not touch the feature column, or a third-party transformer it cannot convert produced the column
        // (ConvertToOnnx then takes that transformer's output as the pipeline's source: its columns become graph inputs).
        NodeProto? producer = featurizer.Graph.Node.FirstOrDefault(n => n.Output.Contains(feature.Name));
        if (producer is { OpType: "Identity" } && featurizer.Graph.Input.Any(i => i.Name == producer.Input[0]))
        {
            throw new ArgumentException(
                $"The featurizer ONNX model does not compute '{featureColumnName}': its output {feature.Name} is the graph input {producer.Input[0]} passed through. " +
                "Either the featurizer does not produce the feature column, or a transformer ML.NET cannot convert (a third-party one) produced it, which " +
                "ConvertToOnnx turns into a graph input instead of failing. Export the model alone (GradientDescentOnnx.Export(model, output)) and compute the features before it.",
                "featurizerOnnx");
        }
        foreach (string outputName in outputNames)
        {
            if (featurizer.Graph.Output.Any(o => o.Name == outputName || o.Name == outputName + ".output"))
            {
                throw new ArgumentException(
                    $"The featurizer ONNX model already has an output named {outputName}; export only the featurizing part of the pipeline (before the GdTrainer transformer).",
                    "featurizerOnnx");
            }
        }

        ModelProto model = featurizer.Clone();
        model.ProducerName = string.IsNullOrEmpty(model.ProducerName) ? "GdTrainer" : model.ProducerName + " + GdTrainer";
        return new OnnxGraphWriter(model, feature.Name);
    }

    /// <summary>
    /// Appends each layer as it writes itself (a <c>Gemm</c> and its activation's nodes), reading <see cref="FeatureValue"/>;
    /// returns the last value's name (<c>[N, outputs]</c>).
    /// </summary>
    /// <exception cref="NotSupportedException">An activation has no ONNX form; the message names its module type.</exception>
    internal string AddDenseLayers(IReadOnlyList<DenseLayer> layers)
    {
        string x = FeatureValue;
        for (int i = 0; i < layers.Count; i++)
        {
            x = layers[i].ExportOnnx(this, x, i);
        }

        return x;
    }

    /// <summary>Adds a node and returns the name of its (single) output value.</summary>
    internal string AddNode(string opType, string[] inputs, string name, params AttributeProto[] attributes)
    {
        string output = Prefix + name;
        var node = new NodeProto { OpType = opType, Name = Prefix + name + "/" + opType };
        node.Input.Add(inputs);
        node.Output.Add(output);
        node.Attribute.Add(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>Adds an <c>Identity</c> node that names a graph output, declared <c>[N, width]</c> of <paramref name="elementType"/> (default float).</summary>
    internal void AddOutput(string outputName, string value, int width, TensorProto.Types.DataType elementType = TensorProto.Types.DataType.Float)
    {
        if (!_outputNames.Add(outputName))
        {
            throw new ArgumentException($"The graph already has an output named {outputName}.");
        }

        var node = new NodeProto { OpType = "Identity", Name = Prefix + outputName + "/Identity" };
        node.Input.Add(value);
        node.Output.Add(outputName);
        Graph.Node.Add(node);
        Graph.Output.Add(Matrix(outputName, width, elementType));
    }

    /// <summary>Adds a float scalar constant (an initializer of shape <c>[]</c>) and returns its name.</summary>
    internal string AddScalar(string name, float value) => AddInitializer(name, [value]);

    /// <summary>Adds an int64 scalar constant (an initializer of shape <c>[]</c>) and returns its name.</summary>
    internal string AddScalar(string name, long value)
    {
        var tensor = new TensorProto { Name = Prefix + name + "_" + (_nameCounter++).ToString(CultureInfo.InvariantCulture), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Int64Data.Add(value);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>An integer attribute, e.g. <c>axis</c>, <c>keepdims</c> or <c>to</c>.</summary>
    internal static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>
    /// The finished model. Graph inputs that no node reads are dropped: ML.NET's ConvertToOnnx declares every column of the
    /// data it was given (the label too) as an input, and ONNX Runtime insists on a value for every declared input.
    /// </summary>
    internal ModelProto Finish()
    {
        var read = new HashSet<string>(Graph.Node.SelectMany(n => n.Input), StringComparer.Ordinal);
        for (int i = Graph.Input.Count - 1; i >= 0; i--)
        {
            if (!read.Contains(Graph.Input[i].Name))
            {
                Graph.Input.RemoveAt(i);
            }
        }

        return _model;
    }

    /// <inheritdoc/>
    string IOnnxGraphBuilder.AddNode(string opType, string[] inputs, string name, params OnnxAttribute[] attributes) =>
        AddNode(opType, inputs, name, [.. attributes.Select(ToProto)]);

    /// <inheritdoc/>
    string IOnnxGraphBuilder.AddScalar(string name, float value) => AddScalar(name, value);

    /// <inheritdoc/>
    string IOnnxGraphBuilder.AddInitializer(string name, ReadOnlySpan<float> values, params int[] shape) => AddInitializer(name, values, shape);

    private static AttributeProto ToProto(OnnxAttribute attribute) => attribute switch
    {
        { FloatValue: float value } => FloatAttribute(attribute.Name, value),
        { IntegerValue: long value } => IntAttribute(attribute.Name, value),
        _ => throw new ArgumentException($"The ONNX attribute {attribute.Name} has no value.", nameof(attribute)),
    };

    private string AddInitializer(string name, ReadOnlySpan<float> values, params int[] shape)
    {
        var tensor = new TensorProto { Name = Prefix + name + "_" + (_nameCounter++).ToString(CultureInfo.InvariantCulture), DataType = (int)TensorProto.Types.DataType.Float };
        foreach (int dim in shape)
        {
            tensor.Dims.Add(dim);
        }

        if (BitConverter.IsLittleEndian)
        {
            // raw_data is little-endian by the ONNX spec: one copy of the bytes instead of a repeated field of floats.
            tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        }
        else
        {
            tensor.FloatData.Add(values.ToArray());
        }

        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    private static AttributeProto FloatAttribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static ValueInfoProto FloatMatrix(string name, int width) => Matrix(name, width, TensorProto.Types.DataType.Float);

    private static ValueInfoProto Matrix(string name, int width, TensorProto.Types.DataType elementType)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } },
        };
    }

    private static void CheckFeatureShape(ValueInfoProto feature, int featureCount)
    {
        if (feature.Type?.TensorType is not { } tensor || tensor.ElemType != (int)TensorProto.Types.DataType.Float)
        {
            throw new ArgumentException($"The featurizer's output {feature.Name} is not a float tensor; the model needs float [N, {featureCount}].", "featurizerOnnx");
        }

        if (tensor.Shape is { Dim.Count: > 0 } shape)
        {
            TensorShapeProto.Types.Dimension last = shape.Dim[^1];
            if (shape.Dim.Count != 2 || (last.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && last.DimValue != featureCount))
            {
                throw new ArgumentException(
                    $"The featurizer's output {feature.Name} has shape [{string.Join(", ", shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue.ToString(CultureInfo.InvariantCulture) : d.DimParam))}]; " +
                    $"the model needs [N, {featureCount}].", "featurizerOnnx");
            }
        }
    }
}
