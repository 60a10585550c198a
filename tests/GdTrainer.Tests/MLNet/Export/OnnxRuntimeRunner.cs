namespace GdTrainer.Tests.MLNet;

using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

/// <summary>Runs an exported graph in ONNX Runtime on a feature matrix: the one way the export tests score a graph from features.</summary>
internal static class OnnxRuntimeRunner
{
    /// <summary>
    /// Feeds <paramref name="features"/> as the float <c>[N, d]</c> input <c>Features</c> and returns each requested output's data,
    /// row-major; every output must be two-dimensional with N rows.
    /// </summary>
    internal static Dictionary<string, Array> Run(byte[] onnx, float[][] features, params string[] outputNames)
    {
        int d = features[0].Length;
        var matrix = new float[features.Length * d];
        for (int i = 0; i < features.Length; i++)
        {
            features[i].CopyTo(matrix, i * d);
        }

        using var session = new InferenceSession(onnx);
        using var input = OrtValue.CreateTensorValueFromMemory(matrix, [features.Length, d]);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, ["Features"], [input], outputNames);
        var results = new Dictionary<string, Array>(StringComparer.Ordinal);
        for (int o = 0; o < outputNames.Length; o++)
        {
            long[] shape = outputs[o].GetTensorTypeAndShape().Shape;
            Assert.True(shape.Length == 2 && shape[0] == features.Length, $"{outputNames[o]} has shape [{string.Join(", ", shape)}], not [{features.Length}, k]");
            results[outputNames[o]] = outputs[o].GetTensorTypeAndShape().ElementDataType switch
            {
                TensorElementType.Bool => outputs[o].GetTensorDataAsSpan<bool>().ToArray(),
                TensorElementType.UInt32 => outputs[o].GetTensorDataAsSpan<uint>().ToArray(),
                TensorElementType.Float => outputs[o].GetTensorDataAsSpan<float>().ToArray(),
                var other => throw new InvalidOperationException($"Unexpected output type {other} of {outputNames[o]}."),
            };
        }

        return results;
    }

    /// <summary>The graph's <c>Score</c> for each row, which must be float <c>[N, 1]</c> (a regression model's).</summary>
    internal static float[] Score(byte[] onnx, float[][] features)
    {
        var score = Assert.IsType<float[]>(Run(onnx, features, "Score")["Score"]);
        Assert.Equal(features.Length, score.Length);
        return score;
    }
}
