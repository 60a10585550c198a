namespace GdTrainer.Models;

using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using GdTrainer.Autograd;
using GdTrainer.Models.Lowering;
using GdTrainer.Models.Records;

/// <summary>
/// The Gaussian error linear unit, element-wise (PyTorch's <c>nn.GELU</c>): by default the exact form
/// <c>x * Phi(x)</c> with <c>Phi</c> the standard normal distribution function, or with
/// <c>tanhApproximation</c> the form <c>x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))</c>
/// (PyTorch's <c>approximate='tanh'</c>); no parameters, any shape.
/// </summary>
public sealed class Gelu : Module
{
    /// <summary>Creates the activation.</summary>
    /// <param name="tanhApproximation">Use the tanh approximation instead of the exact erf form. Default: <see langword="false"/> (PyTorch's <c>approximate='none'</c>).</param>
    public Gelu(bool tanhApproximation = false) => TanhApproximation = tanhApproximation;

    /// <summary>Whether the tanh approximation is used instead of the exact erf form.</summary>
    public bool TanhApproximation { get; }

    /// <summary>Applies GELU to every element.</summary>
    /// <param name="input">A tensor of any shape.</param>
    /// <returns>A tensor of the input's shape.</returns>
    public override Tensor<float> Forward(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Gelu(TanhApproximation);
    }

    /// <inheritdoc/>
    protected override string DescribeSettings() => TanhApproximation ? "tanhApproximation: true" : string.Empty;

    /// <summary>
    /// Attaches GELU to the layer before it. ONNX has a <c>Gelu</c> operator only from opset 20, so it exports as elementary
    /// operators: <c>0.5 x (1 + Erf(x / sqrt 2))</c>, or the tanh form <c>0.5 x (1 + Tanh(sqrt(2/pi) (x + 0.044715 x^3)))</c>.
    /// </summary>
    internal override string? LowerForInference(InferenceLowering lowering, string path) =>
        lowering.AddActivation(this, path, TanhApproximation ? Compiled.TanhForm : Compiled.Exact);

    /// <summary>Format record (tag 7): tanh approximation byte 0/1.</summary>
    internal override void WriteRecord(ModuleRecordWriter writer) => writer.Write(TanhApproximation);

    /// <summary>Reads what <see cref="WriteRecord"/> writes.</summary>
    internal static ModuleRecord ReadRecord(ref ModuleRecordReader reader)
    {
        bool tanhApproximation = reader.Flag("tanh approximation flag");
        return new ModuleRecord(0, () => new Gelu(tanhApproximation));
    }

    private sealed class Compiled(bool tanhApproximation) : CompiledActivation(typeof(Gelu))
    {
        internal static readonly Compiled Exact = new(tanhApproximation: false);

        internal static readonly Compiled TanhForm = new(tanhApproximation: true);

        internal override Activation Kind => Activation.Gelu;

        internal override bool GeluTanhApproximation => tanhApproximation;

        internal override void Apply(Span<float> values, Span<float> temporary)
        {
            if (tanhApproximation)
            {
                // As GeluNode: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in the same passes.
                TensorPrimitives.Multiply(values, values, temporary);
                TensorPrimitives.Multiply(temporary, 0.044715f, temporary);
                TensorPrimitives.Add(temporary, 1f, temporary);
                TensorPrimitives.Multiply(temporary, values, temporary);
                TensorPrimitives.Multiply(temporary, (float)0.79788456080286535588, temporary);
                TensorPrimitives.Tanh(temporary, temporary);
                TensorPrimitives.Add(temporary, 1f, temporary);
                TensorPrimitives.Multiply(temporary, values, temporary);
                TensorPrimitives.Multiply(temporary, 0.5f, values);
            }
            else
            {
                SpecialFunctions.NormalCdf<float>(values, temporary);
                TensorPrimitives.Multiply(values, temporary, values);
            }
        }

        internal override string? ExportOnnx(IOnnxGraphBuilder graph, string input, string name)
        {
            string x = input;
            if (tanhApproximation)
            {
                // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                string cube = graph.AddNode("Mul", [graph.AddNode("Mul", [x, x], name + ".gelu.x2"), x], name + ".gelu.x3");
                string inner = graph.AddNode("Add", [x, graph.AddNode("Mul", [cube, graph.AddScalar(name + ".gelu.c", 0.044715f)], name + ".gelu.cx3")], name + ".gelu.inner");
                string scaled = graph.AddNode("Mul", [inner, graph.AddScalar(name + ".gelu.k", MathF.Sqrt(2f / MathF.PI))], name + ".gelu.scaled");
                string tanhOnePlus = graph.AddNode("Add", [graph.AddNode("Tanh", [scaled], name + ".gelu.tanh"), graph.AddScalar(name + ".gelu.one", 1f)], name + ".gelu.one_plus");
                return graph.AddNode("Mul", [graph.AddNode("Mul", [x, tanhOnePlus], name + ".gelu.x_times"), graph.AddScalar(name + ".gelu.half", 0.5f)], name + ".gelu");
            }

            // 0.5 x (1 + erf(x / sqrt 2))
            string erfScaled = graph.AddNode("Mul", [x, graph.AddScalar(name + ".gelu.rsqrt2", 1f / MathF.Sqrt(2f))], name + ".gelu.scaled");
            string erfOnePlus = graph.AddNode("Add", [graph.AddNode("Erf", [erfScaled], name + ".gelu.erf"), graph.AddScalar(name + ".gelu.one", 1f)], name + ".gelu.one_plus");
            return graph.AddNode("Mul", [graph.AddNode("Mul", [x, erfOnePlus], name + ".gelu.x_times"), graph.AddScalar(name + ".gelu.half", 0.5f)], name + ".gelu");
        }
    }
}
