namespace GdTrainer.Tests.Models;

using GdTrainer.Autograd;
using GdTrainer.Models;

/// <summary>The activation modules against their formulas in double (their gradients are checked through <see cref="MlpTests"/>).</summary>
public sealed class ActivationTests
{
    private static readonly float[] s_inputs = [-4f, -2.5f, -1f, -0.3f, -1e-3f, 0f, 1e-3f, 0.3f, 1f, 2.5f, 4f];

    public static TheoryData<string> Names() => ["Relu", "Tanh", "Sigmoid", "LeakyRelu", "LeakyRelu0.2", "Gelu", "GeluTanh"];

    [Theory]
    [MemberData(nameof(Names))]
    public void ForwardMatchesTheFormulaAndKeepsTheShape(string name)
    {
        Module module = name switch
        {
            "Relu" => new Relu(),
            "Tanh" => new Tanh(),
            "Sigmoid" => new Sigmoid(),
            "LeakyRelu" => new LeakyRelu(),
            "LeakyRelu0.2" => new LeakyRelu(0.2f),
            "Gelu" => new Gelu(),
            _ => new Gelu(tanhApproximation: true),
        };
        Tensor<float> x = Tensor.From(s_inputs, [1, s_inputs.Length]);
        Tensor<float> y = module.Forward(x);

        Assert.Equal(x.Shape.ToArray(), y.Shape.ToArray());
        Assert.Empty(module.NamedParameters());
        for (int i = 0; i < s_inputs.Length; i++)
        {
            double v = s_inputs[i];
            double expected = name switch
            {
                "Relu" => Math.Max(v, 0),
                "Tanh" => Math.Tanh(v),
                "Sigmoid" => 1 / (1 + Math.Exp(-v)),
                "LeakyRelu" => v > 0 ? v : 0.01 * v,
                "LeakyRelu0.2" => v > 0 ? v : 0.2 * v,
                "Gelu" => v * 0.5 * (1 + ErfSeries(v / Math.Sqrt(2))),
                _ => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + (0.044715 * v * v * v)))),
            };
            Assert.Equal(expected, y.Data[i], 1e-6);
        }
    }

    [Fact]
    public void ExactAndTanhGeluDiffer()
    {
        Tensor<float> x = Tensor.From([1.5f]);
        double exact = new Gelu().Forward(x).Item();
        double approximate = new Gelu(true).Forward(x).Item();
        Assert.NotEqual(exact, approximate);
        Assert.Equal(exact, approximate, 1e-3);
    }

    [Fact]
    public void LeakyReluRejectsANonFiniteSlope() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeakyRelu(float.NaN));

    /// <summary>erf by its Maclaurin series, independent of the library's rational approximation (accurate to ~1e-11 for |x| &lt; 4).</summary>
    internal static double ErfSeries(double x)
    {
        double sum = 0;
        double power = x; // x^(2n+1) / n! with alternating sign
        for (int n = 0; n < 120; n++)
        {
            sum += power / ((2 * n) + 1);
            power *= -x * x / (n + 1);
        }

        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}
