namespace GdTrainer.Tests.Losses;

using GdTrainer.Autograd;
using GdTrainer.Losses;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>
/// Cross-entropy against PyTorch's definition written out in double as a cross-entropy with a smoothed,
/// class-weighted target distribution (not the library's decomposition), gradchecks, stability and errors.
/// </summary>
public sealed class CrossEntropyLossTests
{
    private const int Rows = 5;
    private const int Classes = 4;
    private static readonly float[] s_classes = [2f, 0f, 3f, 2f, 1f];
    private static readonly float[] s_exampleWeights = [1f, 0.5f, 2f, 0f, 1.5f];
    private static readonly float[] s_classWeights = [0.5f, 2f, 1f, 3f];

    public static TheoryData<float, bool, bool> Cases()
    {
        var data = new TheoryData<float, bool, bool>();
        foreach (float smoothing in new[] { 0f, 0.1f, 1f })
        {
            foreach (bool classWeighted in new[] { false, true })
            {
                data.Add(smoothing, classWeighted, false);
                data.Add(smoothing, classWeighted, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ValueAndGradientMatchPyTorchsDefinition(float smoothing, bool classWeighted, bool exampleWeighted)
    {
        float[] logits = Logits(new Random(5), 3);
        float[]? classWeights = classWeighted ? s_classWeights : null;
        float[]? exampleWeights = exampleWeighted ? s_exampleWeights : null;

        var x = Tensor.From<float>(logits, [Rows, Classes], requiresGrad: true);
        Tensor<float> loss = new CrossEntropyLoss(smoothing, classWeights)
            .Compute(x, Tensor.From<float>(s_classes), exampleWeighted ? Tensor.From<float>(s_exampleWeights) : null);
        loss.Backward();

        (double expected, double[] gradient) = Reference(logits, s_classes, exampleWeights, classWeights, smoothing);
        Assert.Equal(expected, loss.Item(), 1e-5);
        AssertClose(gradient, Array.ConvertAll(x.Grad!.ToArray(), v => (double)v), 1e-5);
    }

    [Fact]
    public void UnweightedWithoutSmoothingIsTheMeanNegativeLogSoftmaxOfTheTarget()
    {
        // The textbook case, written a third way: -log(e^x_c / sum e^x) averaged over rows.
        var x = Tensor.From<double>([1.0, 2.0, 0.5, -1.0, 0.0, 3.0], [2, 3]);
        double row0 = -Math.Log(Math.Exp(2.0) / (Math.Exp(1.0) + Math.Exp(2.0) + Math.Exp(0.5)));
        double row1 = -Math.Log(Math.Exp(-1.0) / (Math.Exp(-1.0) + Math.Exp(0.0) + Math.Exp(3.0)));
        Assert.Equal((row0 + row1) / 2, Functional.CrossEntropy(x, Tensor.From<double>([1.0, 0.0])).Item(), 1e-14);
    }

    [Theory]
    [InlineData(0.0, false, false)]
    [InlineData(0.2, false, true)]
    [InlineData(0.2, true, false)]
    [InlineData(0.3, true, true)]
    public void FusedNodePassesGradCheck(double smoothing, bool classWeighted, bool exampleWeighted)
    {
        var random = new Random(41);
        Tensor<double> x = Uniform(random, [Rows, Classes], -2, 2);
        var targets = Tensor.From<double>(Array.ConvertAll(s_classes, v => (double)v));
        double[]? classWeights = classWeighted ? Array.ConvertAll(s_classWeights, v => (double)v) : null;
        Tensor<double>? weights = exampleWeighted ? Tensor.From<double>(Array.ConvertAll(s_exampleWeights, v => (double)v)) : null;
        AssertGradCheck(t => Functional.CrossEntropy(t[0], targets, weights, smoothing, classWeights), x);
    }

    [Fact]
    public void LogitsAroundTenThousandStayFiniteAndExact()
    {
        // Float logits near ±1e4 (spacing 1/1024 there): the loss equals the one of the shifted logits in double.
        float[] logits = [10000f, 10001f, 9999f, -10000f, -10000.5f, -9998f, 10000f, -10000f, 0f];
        float[] classes = [1f, 0f, 1f];
        var x = Tensor.From<float>(logits, [3, 3], requiresGrad: true);
        Tensor<float> loss = new CrossEntropyLoss(0.1f).Compute(x, Tensor.From<float>(classes));
        loss.Backward();

        (double expected, double[] gradient) = Reference(logits, classes, null, null, 0.1f, columns: 3);
        Assert.True(double.IsFinite(expected));
        Assert.True(expected > 600, $"The third row's wrong class costs ~2e4 / 3 * 0.9; got {expected}.");
        Assert.Equal(expected, loss.Item(), 1e-6 * expected);
        AssertClose(gradient, Array.ConvertAll(x.Grad!.ToArray(), v => (double)v), 1e-5);
        Assert.All(x.Grad!.ToArray(), g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void ExampleWeightsMultiplyClassWeightsInTheDenominator()
    {
        // Two rows, classes 0 and 1 with weights 1 and 3, example weights 2 and 1: denominator 2*1 + 1*3 = 5.
        var x = Tensor.From<double>([0.0, 0.0, 0.0, 0.0], [2, 2]);
        double loss = Functional.CrossEntropy(x, Tensor.From<double>([0.0, 1.0]), Tensor.From<double>([2.0, 1.0]), classWeights: [1.0, 3.0]).Item();
        Assert.Equal(((2 * 1 * Math.Log(2)) + (1 * 3 * Math.Log(2))) / 5, loss, 1e-14);
    }

    [Theory]
    [InlineData(4f, "row 1 has class index 4")]
    [InlineData(-1f, "row 1 has class index -1")]
    [InlineData(1.5f, "row 1 has class index 1.5")]
    [InlineData(float.NaN, "row 1 has class index NaN")]
    public void InvalidClassIndicesNameTheRowAndValue(float bad, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss().Compute(Tensor.Zeros([3, 4]), Tensor.From<float>([0f, bad, 2f])));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("0 to 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShapeAndOptionErrorsAreSpecific()
    {
        var loss = new CrossEntropyLoss();
        var error = Assert.Throws<ArgumentException>(() => loss.Compute(Tensor.Zeros([3, 4]), Tensor.Zeros([2])));
        Assert.Contains("[3, 4]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[2]", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => loss.Compute(Tensor.Zeros([4]), Tensor.Zeros([4])));
        Assert.Contains("[n, k]", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss(classWeights: [1f, 2f]).Compute(Tensor.Zeros([3, 4]), Tensor.Zeros([3])));
        Assert.Contains("2 class weights", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new CrossEntropyLoss(classWeights: [1f, -2f]));
        Assert.Throws<ArgumentException>(() => new CrossEntropyLoss(classWeights: []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss(1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss(float.NaN));

        // Every target's class weight is 0: PyTorch would return NaN; we say why.
        error = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss(classWeights: [0f, 1f]).Compute(Tensor.Zeros([2, 2]), Tensor.Zeros([2])));
        Assert.Contains("sum to 0", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => loss.Compute(Tensor.Zeros([2, 2]), Tensor.Zeros([2], requiresGrad: true)));
        Assert.Throws<ArgumentException>(() => loss.Compute(Tensor.Zeros([2, 2]), Tensor.Zeros([2]), Tensor.From<float>([1f, -1f])));
    }

    /// <summary>
    /// PyTorch's definition as a cross-entropy with a target distribution t_i = (1 - eps) onehot(c_i) + eps / k:
    /// l_i = -sum_j a_j t_ij log q_ij, loss = sum_i s_i l_i / sum_i s_i a_ci; dl_i/dx_im = q_im sum_j a_j t_ij - a_m t_im.
    /// </summary>
    private static (double Loss, double[] Gradient) Reference(float[] logits, float[] classes, float[]? exampleWeights, float[]? classWeights, float smoothing, int columns = Classes)
    {
        int rows = classes.Length;
        double numerator = 0;
        double denominator = 0;
        var gradient = new double[logits.Length];
        var rowGradient = new double[rows][];
        for (int i = 0; i < rows; i++)
        {
            int c = (int)classes[i];
            double s = exampleWeights?[i] ?? 1;
            double max = double.NegativeInfinity;
            for (int j = 0; j < columns; j++)
            {
                max = Math.Max(max, logits[(i * columns) + j]);
            }

            double sum = 0;
            for (int j = 0; j < columns; j++)
            {
                sum += Math.Exp(logits[(i * columns) + j] - max);
            }

            double weightedTargetMass = 0;
            double rowLoss = 0;
            rowGradient[i] = new double[columns];
            for (int j = 0; j < columns; j++)
            {
                double t = ((j == c ? 1 : 0) * (1 - (double)smoothing)) + ((double)smoothing / columns);
                double a = classWeights?[j] ?? 1;
                double logQ = logits[(i * columns) + j] - max - Math.Log(sum);
                rowLoss -= a * t * logQ;
                weightedTargetMass += a * t;
                rowGradient[i][j] = -a * t;
            }

            for (int j = 0; j < columns; j++)
            {
                double q = Math.Exp(logits[(i * columns) + j] - max) / sum;
                rowGradient[i][j] = s * (rowGradient[i][j] + (q * weightedTargetMass));
            }

            numerator += s * rowLoss;
            denominator += s * (classWeights?[c] ?? 1);
        }

        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                gradient[(i * columns) + j] = rowGradient[i][j] / denominator;
            }
        }

        return (numerator / denominator, gradient);
    }

    private static float[] Logits(Random random, double scale)
    {
        var values = new float[Rows * Classes];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((random.NextDouble() * 2) - 1) * scale);
        }

        return values;
    }
}
