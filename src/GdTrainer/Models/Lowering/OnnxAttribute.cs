namespace GdTrainer.Models.Lowering;

/// <summary>An attribute of an ONNX node (<see cref="IOnnxGraphBuilder.AddNode"/>): a float or an integer under its ONNX name.</summary>
internal readonly record struct OnnxAttribute
{
    private OnnxAttribute(string name, float? floatValue, long? integerValue)
    {
        Name = name;
        FloatValue = floatValue;
        IntegerValue = integerValue;
    }

    /// <summary>The attribute's name in the operator's specification, such as <c>alpha</c>.</summary>
    internal string Name { get; }

    /// <summary>The value of a float attribute; null for an integer one.</summary>
    internal float? FloatValue { get; }

    /// <summary>The value of an integer attribute; null for a float one.</summary>
    internal long? IntegerValue { get; }

    /// <summary>A float attribute.</summary>
    internal static OnnxAttribute Float(string name, float value) => new(name, value, null);

    /// <summary>An integer attribute (ONNX's <c>INT</c>, such as <c>axis</c>).</summary>
    internal static OnnxAttribute Integer(string name, long value) => new(name, null, value);
}
