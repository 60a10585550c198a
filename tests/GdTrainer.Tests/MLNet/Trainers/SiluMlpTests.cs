namespace GdTrainer.Tests.MLNet;

using GdTrainer.Autograd;
using GdTrainer.MLNet;
using GdTrainer.Models;
using Microsoft.ML;
using Options = GdTrainer.MLNet.GradientDescentRegressionTrainer.Options;

/// <summary>
/// <see cref="Activation.Silu"/>, the activation added by the commit that touched only Autograd and Models: an MLP with it
/// trains through the ML.NET trainer, and scores the same in memory, through both save routes, compiled and in ONNX Runtime.
/// </summary>
public sealed class SiluMlpTests : IDisposable
{
    private const double Tolerance = 1e-5;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gdtrainer-silu-" + Guid.NewGuid().ToString("N"));
    private readonly MLContext _mlContext = new(seed: 1);

    public SiluMlpTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AnMlpWithSiluTrainsAndScoresAlikeInMemorySavedLoadedCompiledAndInOnnxRuntime()
    {
        (float[][] x, float[] y, double[] clean) = TrainingTestData.Friedman1(600, seed: 81);
        IDataView data = TrainingTestData.View(_mlContext, x, y);
        GradientDescentRegressionTransformer model = _mlContext.Regression.Trainers.GradientDescent(new Options
        {
            HiddenLayers = [16, 8],
            Activation = Activation.Silu,
            BatchSize = 32,
            LearningRate = 5e-3f,
            NumberOfEpochs = 60,
            Seed = 3,
        }).Fit(data);

        Assert.Equal([Activation.Silu, Activation.Silu, null], model.Model.Layers.Select(l => l.Activation));
        Assert.Equal(Activation.Silu, Assert.IsType<Mlp>(model.Model.Module).ActivationFunction);
        double fit = TrainingTestData.RSquared([.. clean.Select(c => (float)c)], TrainingTestData.Scores(model, data));
        Assert.True(fit > 0.9, $"R^2 against the noiseless function {fit} after {model.Model.EpochsRun} epochs {model.Model.StopReason}"); // ~0.75 is what a linear model reaches on Friedman #1

        (float[][] probe, _, _) = TrainingTestData.Friedman1(40, seed: 82);
        IDataView probeView = TrainingTestData.View(_mlContext, probe, new float[probe.Length]);
        float[] inMemory = TrainingTestData.Scores(model, probeView);
        AssertClose(Forward(model.Model, probe), inMemory, "the engine's autograd forward");

        var compiled = new float[probe.Length];
        for (int i = 0; i < probe.Length; i++)
        {
            model.Model.Network!.Score(probe[i], compiled.AsSpan(i, 1));
        }

        AssertClose(inMemory, compiled, "InferenceNetwork");

        string plainPath = Path.Combine(_directory, "plain.zip");
        _mlContext.Model.Save(model, data.Schema, plainPath);
        AssertClose(inMemory, TrainingTestData.Scores(new MLContext().Model.Load(plainPath, out _), probeView), "mlContext.Model.Load");
        AssertClose(inMemory, TrainingTestData.Scores(GradientDescentModel.Load(new MLContext(), plainPath, out _), probeView), "GradientDescentModel.Load of the plain save");

        string helperPath = Path.Combine(_directory, "helper.zip");
        GradientDescentModel.Save(_mlContext, model, data.Schema, helperPath);
        var restored = Assert.IsType<GradientDescentRegressionTransformer>(GradientDescentModel.Load(new MLContext(), helperPath, out _));
        Assert.Equal(Activation.Silu, Assert.IsType<Mlp>(restored.Model.Module).ActivationFunction);
        AssertClose(inMemory, TrainingTestData.Scores(restored, probeView), "GradientDescentModel.Load");
        AssertClose(inMemory, TrainingTestData.Scores(new MLContext().Model.Load(helperPath, out _), probeView), "mlContext.Model.Load of the helper save");

        AssertClose(inMemory, OnnxRuntimeRunner.Score(OnnxExportTests.Export(model), probe), "ONNX Runtime");
    }

    [Fact]
    public void SiluHasFormatTag11AndRoundTripsInAWholeModelRecord()
    {
        var model = new Sequential(new Linear(3, 4, generator: new Random(1)), new Silu(), new Linear(4, 1, generator: new Random(2)));
        byte[] bytes = ModuleFormat.Save(model);

        Assert.Equal(11, bytes[48 + 5 + 10]); // after the Sequential's tag and count and the Linear's tag and settings
        var loaded = Assert.IsType<Sequential>(ModuleFormat.Load(bytes));
        Assert.IsType<Silu>(loaded[1]);
        Assert.Equal("Silu()", new Silu().ToString());
        Assert.Equal(Activation.Silu, InferenceNetwork.Compile(loaded).DenseLayers[0].Activation);
    }

    /// <summary>The module's own forward pass (autograd ops, not the compiled kernels) on the standardised rows.</summary>
    private static float[] Forward(GradientDescentModelParameters model, float[][] rows)
    {
        int d = rows[0].Length;
        var standardised = new float[rows.Length * d];
        for (int i = 0; i < rows.Length; i++)
        {
            model.Standardization!.Apply(rows[i], standardised.AsSpan(i * d, d));
        }

        using (GdTrainer.Autograd.Autograd.NoGrad())
        {
            return model.Module.Forward(Tensor.From<float>(standardised, [rows.Length, d])).ToArray();
        }
    }

    private static void AssertClose(float[] expected, float[] actual, string route)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"{route}, row {i}: {actual[i]} against the in-memory {expected[i]}");
        }
    }
}
