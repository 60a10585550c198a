namespace GdTrainer.Models;

using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using GdTrainer.Autograd;
using GdTrainer.Models.Lowering;
using GdTrainer.Models.Records;

/// <summary>
/// The leaky rectified linear unit, element-wise (PyTorch's <c>nn.LeakyReLU</c>): <c>x</c> where <c>x &gt; 0</c>,
/// else <c>NegativeSlope * x</c>; no parameters, any shape.
/// </summary>
public sealed class LeakyRelu : Module
{
    /// <summary>Creates the activation.</summary>
    /// <param name="negativeSlope">The slope for negative inputs (PyTorch's <c>negative_slope</c>). Default: 0.01, as in PyTorch.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeSlope"/> is NaN or infinite.</exception>
    public LeakyRelu(float negativeSlope = 0.01f)
    {
        if (!float.IsFinite(negativeSlope))
        {
            throw new ArgumentOutOfRangeException(nameof(negativeSlope), negativeSlope, "The negative slope must be a finite number.");
        }

        NegativeSlope = negativeSlope;
    }

    /// <summary>The slope for negative inputs.</summary>
    public float NegativeSlope { get; }

    /// <summary>Applies the leaky ReLU to every element.</summary>
    /// <param name="input">A tensor of any shape.</param>
    /// <returns>A tensor of the input's shape.</returns>
    public override Tensor<float> Forward(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.LeakyRelu(NegativeSlope);
    }

    /// <inheritdoc/>
    protected override string DescribeSettings() => $"negativeSlope: {NegativeSlope.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>Attaches the leaky ReLU to the layer before it; ONNX <c>LeakyRelu</c> with <c>alpha</c> = the slope.</summary>
    internal override string? LowerForInference(InferenceLowering lowering, string path) => lowering.AddActivation(this, path, new Compiled(NegativeSlope));

    /// <summary>Format record (tag 6): negative slope float32.</summary>
    internal override void WriteRecord(ModuleRecordWriter writer) => writer.Write(NegativeSlope);

    /// <summary>Reads what <see cref="WriteRecord"/> writes.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader)
    {
        float slope = reader.Single("negative slope");
        return float.IsFinite(slope)
            ? new ModuleRecord(0, () => new LeakyRelu(slope))
            : throw ModuleRecordReader.Damaged($"{reader.Where} has the negative slope {slope}, which is not finite");
    }

    private sealed class Compiled(float negativeSlope) : CompiledActivation(typeof(LeakyRelu))
    {
        internal override Activation Kind => Activation.LeakyRelu;

        internal override float NegativeSlope => negativeSlope;

        internal override void Apply(Span<float> values, Span<float> temporary)
        {
            if (negativeSlope >= 0f && negativeSlope <= 1f)
            {
                // As LeakyReluNode: max(x, slope * x), which is the same function for 0 <= slope <= 1.
                TensorPrimitives.Multiply(values, negativeSlope, temporary);
                TensorPrimitives.Max(values, temporary, values);
            }
            else
            {
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = values[i] > 0f ? values[i] : values[i] * negativeSlope;
                }
            }
        }

        internal override string? ExportOnnx(IOnnxGraphBuilder graph, string input, string name) =>
            graph.AddNode("LeakyRelu", [input], name + ".leaky_relu", OnnxAttribute.Float("alpha", negativeSlope));
    }
}
