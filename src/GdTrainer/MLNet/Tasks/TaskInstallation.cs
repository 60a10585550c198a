namespace GdTrainer.MLNet;

using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

/// <summary>
/// Puts the tasks into <see cref="PredictionTasks"/>, where the rooms below Tasks find them, when GdTrainer's assembly is loaded.
/// </summary>
/// <remarks>
/// Why at load and not on first use: the tasks build transformers and saved chains, so they sit above Scoring and Persistence,
/// yet two public entry points below them need a task before anything from Tasks has run: a transformer made with its public
/// constructor must save through its task (<c>mlContext.Model.Save</c> calls it), and <c>GradientDescentModel.Load</c> must ask
/// the tasks which of them wrote a saved chain. A module initializer runs before any code of the assembly, so both always find
/// the tasks, and neither room names the Tasks room. It only creates three small objects.
/// </remarks>
internal static class TaskInstallation
{
    /// <summary>Installs one object of each task (with the default options of its loss: the saved form and the ONNX outputs do not depend on them).</summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "It only installs the tasks, which the transformers' public constructors and GradientDescentModel.Load need before any other GdTrainer code runs (see the remarks).")]
    internal static void Install() =>
        PredictionTasks.Install([RegressionTask.Instance, new BinaryTask(positiveClassWeight: null), new MulticlassTask(labelSmoothing: 0f, classWeights: null)]);
}
