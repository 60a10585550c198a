namespace GdTrainer.Tests.Models;

using GdTrainer.Autograd;
using GdTrainer.Models;

/// <summary>
/// <see cref="Sequential"/> and <see cref="Mlp"/>: forward against the formula computed in double, and
/// gradients of every parameter and of the input against central differences of that double formula
/// (the modules are float-only, so <see cref="GradCheck"/> cannot run on them directly).
/// </summary>
public sealed class MlpTests
{
    public static TheoryData<Activation, int> Activations() => new()
    {
        { Activation.Relu, 1 },
        { Activation.Relu, 3 },
        { Activation.Tanh, 1 },
        { Activation.Tanh, 2 },
        { Activation.Sigmoid, 3 },
        { Activation.LeakyRelu, 1 },
        { Activation.LeakyRelu, 2 },
        { Activation.Gelu, 1 },
        { Activation.Gelu, 3 },
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void ForwardMatchesTheFormulaInDouble(Activation activation, int outputs)
    {
        var mlp = new Mlp(3, [5, 4], outputs, activation, seed: 7);
        Tensor<float> x = Tensor.Randn([6, 3], new Random(8));
        Tensor<float> y = mlp.Forward(x);

        double[,] expected = Reference(mlp, ToDouble(x), activation);
        Assert.Equal(outputs == 1 ? [6] : [6, outputs], y.Shape.ToArray());
        for (int row = 0; row < 6; row++)
        {
            for (int k = 0; k < outputs; k++)
            {
                Assert.Equal(expected[row, k], outputs == 1 ? y[row] : y[row, k], 1e-5);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void GradientsMatchCentralDifferencesInDouble(Activation activation, int outputs)
    {
        var mlp = new Mlp(3, [4, 3], outputs, activation, seed: 11);
        Tensor<float> x = Tensor.Randn([5, 3], new Random(12), requiresGrad: true);
        var random = new Random(13);
        double[] coefficients = Enumerable.Range(0, 5 * outputs).Select(_ => random.NextDouble() - 0.5).ToArray();

        // Autograd in float: loss = sum(c * y).
        Tensor<float> y = mlp.Forward(x);
        Tensor<float> c = Tensor.From(coefficients.Select(v => (float)v).ToArray(), y.Shape);
        (y * c).Sum().Backward();

        // Central differences of the double formula with respect to every parameter and input element.
        var tensors = mlp.Parameters().Append(x).ToList();
        foreach (Tensor<float> tensor in tensors)
        {
            for (int i = 0; i < tensor.Length; i++)
            {
                double numeric = CentralDifference(mlp, x, tensor, i, activation, coefficients);
                double analytic = tensor.Grad!.Data[i];
                Assert.True(Math.Abs(analytic - numeric) <= 1e-5 + (1e-4 * Math.Abs(numeric)),
                    $"gradient {i} of a {string.Join("x", tensor.Shape.ToArray())} tensor: autograd {analytic}, central difference {numeric}");
            }
        }
    }

    [Fact]
    public void SequentialOfHandPickedLayersComputesTheFormula()
    {
        var first = new Linear(2, 2, generator: new Random(1));
        using (Autograd.NoGrad())
        {
            first.Weight.CopyFrom([1f, -1f, 2f, 0.5f]);
            first.Bias!.CopyFrom([0.5f, -3f]);
        }

        var second = new Linear(2, 1, generator: new Random(2));
        using (Autograd.NoGrad())
        {
            second.Weight.CopyFrom([2f, -1f]);
            second.Bias!.CopyFrom([0.25f]);
        }

        var model = new Sequential(first, new Relu(), second);
        Tensor<float> y = model.Forward(Tensor.From(new float[,] { { 1f, 1f }, { -1f, 2f } }));

        // Row 1: h = [1 + 2 + 0.5, -1 + 0.5 - 3] = [3.5, -3.5] -> relu [3.5, 0] -> 7 + 0.25.
        // Row 2: h = [-1 + 4 + 0.5, 1 + 1 - 3] = [3.5, -1] -> relu [3.5, 0] -> 7 + 0.25.
        Assert.Equal([7.25f, 7.25f], y.ToArray());
        Assert.Contains("\n  (1): Relu()\n", model.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheSameSeedGivesTheSameMlpAndDropoutDoesNotChangeTheInitialWeights()
    {
        var a = new Mlp(4, [6], 2, seed: 3);
        var b = new Mlp(4, [6], 2, seed: 3, dropout: 0.5f);
        var c = new Mlp(4, [6], 2, seed: 4);

        Assert.Equal(a.Parameters().SelectMany(p => p.ToArray()), b.Parameters().SelectMany(p => p.ToArray()));
        Assert.NotEqual(a.Parameters()[0].ToArray(), c.Parameters()[0].ToArray());
    }

    [Fact]
    public void DropoutInsideAnMlpIsSeededAndOffInEvalMode()
    {
        Tensor<float> x = Tensor.Randn([8, 4], new Random(5));
        var a = new Mlp(4, [16], 1, dropout: 0.5f, seed: 9);
        var b = new Mlp(4, [16], 1, dropout: 0.5f, seed: 9);
        float[] trained = a.Forward(x).ToArray();
        Assert.Equal(trained, b.Forward(x).ToArray());

        var plain = new Mlp(4, [16], 1, seed: 9);
        a.Eval();
        Assert.Equal(plain.Forward(x).ToArray(), a.Forward(x).ToArray());
        Assert.NotEqual(trained, a.Forward(x).ToArray());
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Mlp(0, [4], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Mlp(3, [4, 0], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Mlp(3, [4], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Mlp(3, [4], 1, dropout: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Mlp(3, [4], 1, (Activation)99));
        Assert.Throws<ArgumentException>(() => new Sequential());
        ArgumentException shape = Assert.Throws<ArgumentException>(() => new Mlp(3, [4], 1).Forward(Tensor.Zeros([2, 5])));
        Assert.Contains("[n, 3]", shape.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoHiddenLayersIsOneLinearLayer()
    {
        var mlp = new Mlp(3, [], 2, seed: 1);
        Assert.Single(mlp.LinearLayers);
        Assert.Equal(["layers.0.weight", "layers.0.bias"], mlp.NamedParameters().Select(p => p.Name));
    }

    private static double CentralDifference(Mlp mlp, Tensor<float> x, Tensor<float> tensor, int index, Activation activation, double[] coefficients)
    {
        // Perturb in double: the formula reads the float values and adds the step to the one being varied.
        const double Step = 1e-6;
        double Loss(double delta)
        {
            double[,] y = Reference(mlp, ToDouble(x), activation, tensor, index, delta);
            double sum = 0;
            int outputs = y.GetLength(1);
            for (int row = 0; row < y.GetLength(0); row++)
            {
                for (int k = 0; k < outputs; k++)
                {
                    sum += coefficients[(row * outputs) + k] * y[row, k];
                }
            }

            return sum;
        }

        return (Loss(Step) - Loss(-Step)) / (2 * Step);
    }

    private static double[,] ToDouble(Tensor<float> x)
    {
        var result = new double[x.Shape[0], x.Shape[1]];
        for (int row = 0; row < x.Shape[0]; row++)
        {
            for (int column = 0; column < x.Shape[1]; column++)
            {
                result[row, column] = x[row, column];
            }
        }

        return result;
    }

    /// <summary>The Mlp's formula in double; optionally one element of one tensor (a parameter or the input) shifted by <paramref name="delta"/>.</summary>
    private static double[,] Reference(Mlp mlp, double[,] input, Activation activation, Tensor<float>? shifted = null, int shiftedIndex = -1, double delta = 0)
    {
        double Read(Tensor<float> tensor, int i) => tensor.Data[i] + (ReferenceEquals(tensor, shifted) && i == shiftedIndex ? delta : 0);

        int n = input.GetLength(0);
        double[,] h = input;
        if (shifted is not null && !mlp.Parameters().Contains(shifted))
        {
            h = (double[,])input.Clone();
            h[shiftedIndex / input.GetLength(1), shiftedIndex % input.GetLength(1)] += delta;
        }

        for (int layer = 0; layer < mlp.LinearLayers.Count; layer++)
        {
            Linear linear = mlp.LinearLayers[layer];
            int d = linear.InputSize;
            int k = linear.OutputSize;
            var next = new double[n, k];
            for (int row = 0; row < n; row++)
            {
                for (int j = 0; j < k; j++)
                {
                    double sum = Read(linear.Bias!, j);
                    for (int i = 0; i < d; i++)
                    {
                        sum += h[row, i] * Read(linear.Weight, (i * k) + j);
                    }

                    next[row, j] = layer < mlp.LinearLayers.Count - 1 ? Activate(activation, sum) : sum;
                }
            }

            h = next;
        }

        return h;
    }

    private static double Activate(Activation activation, double x) => activation switch
    {
        Activation.Relu => Math.Max(x, 0),
        Activation.Tanh => Math.Tanh(x),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        Activation.LeakyRelu => x > 0 ? x : 0.01 * x,
        Activation.Gelu => x * 0.5 * (1 + ActivationTests.ErfSeries(x / Math.Sqrt(2))),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };
}
