namespace GdTrainer.MLNet;

using Google.Protobuf;
using Onnx;

/// <summary>
/// Exports a trained GdTrainer model to ONNX, for scoring outside .NET (ONNX Runtime, any ONNX backend).
/// <c>mlContext.Model.ConvertToOnnx</c> cannot do this: it does not know third-party transformers (see the remarks).
/// </summary>
/// <remarks>
/// <para>
/// The graph: one input named after the transformer's feature column, <c>float [N, FeatureCount]</c> (<c>N</c> is a symbolic
/// batch dimension; a model trained on a Single scalar feature column takes <c>[N, 1]</c>), and, for regression, one output
/// <c>Score</c>, <c>float [N, 1]</c>: one column per row, the shape ML.NET's own ONNX export gives a scalar column such as a
/// regression trainer's <c>Score</c>, so graphs from both read the same way (and reshaping to <c>[N]</c> would cost a node for
/// nothing). Each layer of <see cref="GradientDescentModelParameters.Layers"/> (the feature standardisation is already folded
/// into the first) becomes a <c>Gemm</c> (<c>x W + b</c>, <c>W</c> stored <c>[inputs, outputs]</c>) followed by its activation,
/// in the form the activation's module type defines: <c>Relu</c>, <c>LeakyRelu</c> (attribute <c>alpha</c> = the slope),
/// <c>Tanh</c>, <c>Sigmoid</c>, or a subgraph of elementary operators where ONNX's own operator is younger than opset 17 or
/// missing (GELU: the exact form <c>0.5 x (1 + Erf(x / sqrt 2))</c>, or the tanh form
/// <c>0.5 x (1 + Tanh(sqrt(2/pi) (x + 0.044715 x^3)))</c>; ONNX has a <c>Gelu</c> operator only from opset 20).
/// </para>
/// <para>
/// Classification outputs, with ML.NET's column names and the in-memory transformers' rules. Binary: <c>PredictedLabel</c> bool
/// <c>[N, 1]</c> = <c>GreaterOrEqual(Probability, 0.5)</c>, <c>Score</c> float <c>[N, 1]</c> = the logit, <c>Probability</c>
/// float <c>[N, 1]</c> = <c>Sigmoid(Score)</c>. Multiclass: <c>PredictedLabel</c> uint32 <c>[N, 1]</c> =
/// <c>Cast(ArgMax(logits, axis 1, keepdims 1) + 1)</c>, the 1-based key of the first largest logit (uint32, the raw type of an ML.NET
/// key and the type ML.NET's own ONNX export gives a multiclass <c>PredictedLabel</c>), and <c>Score</c> float <c>[N, ClassCount]</c> =
/// <c>Softmax(logits, axis 1)</c>. Edge cases where ONNX Runtime may differ from the transformer: a probability within a float
/// rounding of 0.5 (ONNX Runtime's <c>Sigmoid</c> is a vectorised approximation, so the label at the boundary can flip), and NaN
/// features (the transformer's multiclass key is then the missing key 0; <c>ArgMax</c> returns some class).
/// </para>
/// <para>
/// Opset: the model is written with ONNX opset <see cref="OpsetVersion"/> (17) and IR version <see cref="IrVersion"/> (8);
/// ONNX Runtime reads it from version 1.12 on (the first with opset 17). Every operator used (<c>Gemm</c>, <c>Relu</c>, <c>LeakyRelu</c>, <c>Tanh</c>,
/// <c>Sigmoid</c>, <c>Erf</c>, <c>Mul</c>, <c>Add</c>, and for multiclass <c>Softmax</c> on <c>[N, K]</c> with axis 1, <c>ArgMax</c>,
/// <c>Cast</c>) has had the same meaning since opset 9, so the graph appended to a featurizer exported at another opset keeps that
/// opset, from <see cref="MinimumFeaturizerOpsetVersion"/> (9) on. The binary label's <c>GreaterOrEqual</c> exists only from opset 12, so
/// a binary model needs a featurizer of opset <see cref="MinimumBinaryFeaturizerOpsetVersion"/> (12) or later: ML.NET's
/// <c>ConvertToOnnx</c> writes 12 by default (Microsoft.ML.OnnxConverter 0.23.1) and 9 to 11 only when asked for.
/// </para>
/// <para>
/// The trap this class exists for: <c>mlContext.Model.ConvertToOnnx</c> on a pipeline that contains a GdTrainer transformer
/// does not export our model (ML.NET only converts transformers that implement its internal ONNX interface). Always export
/// the model with this class, and the featurizing part of the pipeline with <c>ConvertToOnnx</c> on that part alone
/// (see <see cref="Export(GradientDescentRegressionTransformer, Stream, Stream)"/>).
/// </para>
/// </remarks>
public static class GradientDescentOnnx
{
    /// <summary>The ONNX operator set version the exported model declares (when it is not appended to a featurizer): 17.</summary>
    public const int OpsetVersion = 17;

    /// <summary>The ONNX IR version the exported model declares: 8 (the version that goes with opset 17).</summary>
    public const int IrVersion = 8;

    /// <summary>The oldest featurizer opset a regression or multiclass graph can be appended to: 9 (the first with <c>Erf</c>).</summary>
    public const int MinimumFeaturizerOpsetVersion = 9;

    /// <summary>The oldest featurizer opset a binary classification graph can be appended to: 12 (the first with <c>GreaterOrEqual</c>).</summary>
    public const int MinimumBinaryFeaturizerOpsetVersion = 12;

    /// <summary>Writes a regression model as an ONNX model to <paramref name="output"/> (see the class remarks for the graph).</summary>
    /// <param name="model">The trained (or loaded) transformer.</param>
    /// <param name="output">A writable stream; the model is written at its position and the stream is left open.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="NotSupportedException">The model was built by a <see cref="GradientDescentTrainerOptions.ModelFactory"/>
    /// with a module type that is not a chain of dense layers (its <see cref="GradientDescentModelParameters.Layers"/> is empty).</exception>
    public static void Export(GradientDescentRegressionTransformer model, Stream output)
    {
        ArgumentNullException.ThrowIfNull(model);
        WriteToStream(model.Model, model.FeatureColumnName, OutputsOf(model.Task), output);
    }

    /// <summary>Writes a regression model as an ONNX file at <paramref name="path"/> (created or overwritten).</summary>
    /// <param name="model">The trained (or loaded) transformer.</param>
    /// <param name="path">The file to write, conventionally with the extension <c>.onnx</c>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="NotSupportedException">The model is not a chain of dense layers (see <see cref="Export(GradientDescentRegressionTransformer, Stream)"/>).</exception>
    public static void Export(GradientDescentRegressionTransformer model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        WriteToFile(model.Model, model.FeatureColumnName, OutputsOf(model.Task), path);
    }

    /// <summary>
    /// Writes one ONNX model for a whole pipeline: the featurizer (the part of the pipeline before our transformer, exported by
    /// <c>mlContext.Model.ConvertToOnnx</c> from the <c>Microsoft.ML.OnnxConverter</c> package) with our model appended, reading
    /// the featurizer's feature column and adding the <c>Score</c> output. The featurizer's inputs (the raw columns) are the
    /// model's inputs; its outputs stay outputs (export it with the output columns you want, e.g. just the feature column).
    /// </summary>
    /// <param name="model">The trained transformer (the last transformer of the pipeline).</param>
    /// <param name="output">A writable stream; left open.</param>
    /// <param name="featurizerOnnx">The featurizer's ONNX model, read from its position to its end. It must output the
    /// transformer's feature column (ML.NET names that output <c>Features.output</c> for a column <c>Features</c>; a plain
    /// <c>Features</c> is accepted too) as float <c>[N, FeatureCount]</c>, use the default ONNX domain at opset
    /// <see cref="MinimumFeaturizerOpsetVersion"/> or later, and have no output named <c>Score</c>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The featurizer is not a readable ONNX model, lacks the feature column output, does not
    /// compute it (its feature output is a graph input passed through: what ConvertToOnnx makes of a third-party transformer it
    /// cannot convert), already has a <c>Score</c> output, or uses an opset older than 9.</exception>
    /// <exception cref="NotSupportedException">The model is not a chain of dense layers.</exception>
    public static void Export(GradientDescentRegressionTransformer model, Stream output, Stream featurizerOnnx)
    {
        ArgumentNullException.ThrowIfNull(model);
        WriteAppended(model.Model, model.FeatureColumnName, OutputsOf(model.Task), output, featurizerOnnx);
    }

    /// <summary>
    /// Writes a binary classification model as an ONNX model to <paramref name="output"/>: outputs <c>PredictedLabel</c> bool
    /// <c>[N, 1]</c>, <c>Score</c> float <c>[N, 1]</c> (the logit) and <c>Probability</c> float <c>[N, 1]</c> (see the class remarks).
    /// </summary>
    /// <param name="model">The trained (or loaded) transformer.</param>
    /// <param name="output">A writable stream; the model is written at its position and the stream is left open.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="NotSupportedException">The model is not a chain of dense layers (see <see cref="Export(GradientDescentRegressionTransformer, Stream)"/>).</exception>
    public static void Export(GradientDescentBinaryTransformer model, Stream output)
    {
        ArgumentNullException.ThrowIfNull(model);
        WriteToStream(model.Model, model.FeatureColumnName, OutputsOf(model.Task), output);
    }

    /// <summary>Writes a binary classification model as an ONNX file at <paramref name="path"/> (created or overwritten).</summary>
    /// <param name="model">The trained (or loaded) transformer.</param>
    /// <param name="path">The file to write, conventionally with the extension <c>.onnx</c>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="NotSupportedException">The model is not a chain of dense layers.</exception>
    public static void Export(GradientDescentBinaryTransformer model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        WriteToFile(model.Model, model.FeatureColumnName, OutputsOf(model.Task), path);
    }

    /// <summary>
    /// Writes one ONNX model for a whole binary classification pipeline: the featurizer with our model appended (as
    /// <see cref="Export(GradientDescentRegressionTransformer, Stream, Stream)"/>), adding the outputs <c>PredictedLabel</c>,
    /// <c>Score</c> and <c>Probability</c>.
    /// </summary>
    /// <param name="model">The trained transformer (the last transformer of the pipeline).</param>
    /// <param name="output">A writable stream; left open.</param>
    /// <param name="featurizerOnnx">The featurizer's ONNX model, read from its position to its end, with the requirements of the
    /// regression overload except that its opset must be <see cref="MinimumBinaryFeaturizerOpsetVersion"/> (12) or later
    /// (the default of <c>mlContext.Model.ConvertToOnnx</c> is 12; older ones are chosen only explicitly), and it must have none
    /// of the three output names.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The featurizer is not a readable ONNX model, lacks or passes through the feature column,
    /// already has one of the outputs, or uses an opset older than 12.</exception>
    /// <exception cref="NotSupportedException">The model is not a chain of dense layers.</exception>
    public static void Export(GradientDescentBinaryTransformer model, Stream output, Stream featurizerOnnx)
    {
        ArgumentNullException.ThrowIfNull(model);
        WriteAppended(model.Model, model.FeatureColumnName, OutputsOf(model.Task), output, featurizerOnnx);
    }

    /// <summary>
    /// Writes a multiclass classification model as an ONNX model to <paramref name="output"/>: outputs <c>PredictedLabel</c> uint32
    /// <c>[N, 1]</c> (the 1-based key of the class, as the transformer's key column) and <c>Score</c> float <c>[N, ClassCount]</c>
    /// (the class probabilities). The key values (class names) are not in the graph: map keys back with
    /// <see cref="GradientDescentMulticlassTransformer.ClassNames"/> (key <c>k</c> is <c>ClassNames[k - 1]</c>).
    /// </summary>
    /// <param name="model">The trained (or loaded) transformer.</param>
    /// <param name="output">A writable stream; the model is written at its position and the stream is left open.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="NotSupportedException">The model is not a chain of dense layers.</exception>
    public static void Export(GradientDescentMulticlassTransformer model, Stream output)
    {
        ArgumentNullException.ThrowIfNull(model);
        WriteToStream(model.Model, model.FeatureColumnName, OutputsOf(model.Task), output);
    }

    /// <summary>Writes a multiclass classification model as an ONNX file at <paramref name="path"/> (created or overwritten).</summary>
    /// <param name="model">The trained (or loaded) transformer.</param>
    /// <param name="path">The file to write, conventionally with the extension <c>.onnx</c>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="NotSupportedException">The model is not a chain of dense layers.</exception>
    public static void Export(GradientDescentMulticlassTransformer model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        WriteToFile(model.Model, model.FeatureColumnName, OutputsOf(model.Task), path);
    }

    /// <summary>
    /// Writes one ONNX model for a whole multiclass pipeline: the featurizer with our model appended (as
    /// <see cref="Export(GradientDescentRegressionTransformer, Stream, Stream)"/>), adding the outputs <c>PredictedLabel</c> and <c>Score</c>.
    /// </summary>
    /// <param name="model">The trained transformer (the last transformer of the pipeline).</param>
    /// <param name="output">A writable stream; left open.</param>
    /// <param name="featurizerOnnx">The featurizer's ONNX model, read from its position to its end, with the requirements of the
    /// regression overload (opset <see cref="MinimumFeaturizerOpsetVersion"/> or later), and without the outputs <c>PredictedLabel</c>
    /// and <c>Score</c>. Export a featurizer without the label mapping (<c>MapValueToKey</c> on the label is for training only).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The featurizer is not a readable ONNX model, lacks or passes through the feature column,
    /// already has one of the outputs, or uses an opset older than 9.</exception>
    /// <exception cref="NotSupportedException">The model is not a chain of dense layers.</exception>
    public static void Export(GradientDescentMulticlassTransformer model, Stream output, Stream featurizerOnnx)
    {
        ArgumentNullException.ThrowIfNull(model);
        WriteAppended(model.Model, model.FeatureColumnName, OutputsOf(model.Task), output, featurizerOnnx);
    }

    /// <summary>The ONNX outputs of a transformer's task.</summary>
    /// <exception cref="NotSupportedException">The task has no ONNX export.</exception>
    private static IOnnxTaskOutputs OutputsOf(IPredictionTask task) =>
        task as IOnnxTaskOutputs ?? throw new NotSupportedException($"ONNX export of {task.Kind} models is not implemented.");

    private static void WriteToStream(GradientDescentModelParameters parameters, string featureColumnName, IOnnxTaskOutputs outputs, Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Build(parameters, featureColumnName, outputs, featurizer: null).WriteTo(output);
    }

    private static void WriteToFile(GradientDescentModelParameters parameters, string featureColumnName, IOnnxTaskOutputs outputs, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ModelProto onnx = Build(parameters, featureColumnName, outputs, featurizer: null);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        onnx.WriteTo(file);
    }

    private static void WriteAppended(GradientDescentModelParameters parameters, string featureColumnName, IOnnxTaskOutputs outputs, Stream output, Stream featurizerOnnx)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(featurizerOnnx);
        ModelProto featurizer;
        try
        {
            featurizer = ModelProto.Parser.ParseFrom(featurizerOnnx);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ArgumentException($"The featurizer stream is not an ONNX model: {e.Message}", nameof(featurizerOnnx), e);
        }

        Build(parameters, featureColumnName, outputs, featurizer).WriteTo(output);
    }

    /// <summary>Builds the ONNX model of <paramref name="parameters"/> with a task's outputs, optionally appended to a featurizer.</summary>
    internal static ModelProto Build(GradientDescentModelParameters parameters, string featureColumnName, IOnnxTaskOutputs outputs, ModelProto? featurizer)
    {
        if (parameters.Layers.Count == 0)
        {
            throw new NotSupportedException(
                $"This model ({parameters}) is not a chain of dense layers and activations, so it cannot be exported to ONNX. " +
                "Only models whose Layers are non-empty (the linear model, Mlp, and Sequential chains of Linear and the built-in activations) export.");
        }

        var writer = featurizer is null
            ? OnnxGraphWriter.Standalone(featureColumnName, parameters.FeatureCount)
            : OnnxGraphWriter.AppendedTo(featurizer, featureColumnName, parameters.FeatureCount, outputs.MinimumFeaturizerOpset, outputs.OnnxOutputNames);
        string logits = writer.AddDenseLayers(parameters.Layers);
        outputs.AddOnnxOutputs(writer, logits, parameters.OutputCount);
        return writer.Finish();
    }
}
