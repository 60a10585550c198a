namespace GdTrainer.MLNet;

using Microsoft.ML;

/// <summary>
/// Saving and loading pipelines that contain a <see cref="GradientDescentRegressionTransformer"/> with
/// clear errors. <c>mlContext.Model.Save</c> and <c>mlContext.Model.Load</c> work too; these helpers add
/// an all-or-nothing save (no half-written file on failure), errors that name the file, and a
/// <see cref="Load"/> that gives back the fast <see cref="GradientDescentRegressionTransformer"/>
/// instead of the slower built-in stand-in that <c>mlContext.Model.Load</c> returns.
/// </summary>
public static class GradientDescentModel
{
    /// <summary>
    /// Saves <paramref name="model"/> to <paramref name="path"/> through a temporary file in the same
    /// directory that replaces the target only once it is complete: on failure the target is unchanged
    /// (or absent) and no temporary file is left.
    /// </summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="model">The model (pipeline) to save.</param>
    /// <param name="inputSchema">The schema of the data the model is applied to (e.g. <c>data.Schema</c>).</param>
    /// <param name="path">The file to write; an existing file is replaced unless it is read-only.</param>
    /// <exception cref="DirectoryNotFoundException">The directory of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">
    /// <paramref name="path"/> is a read-only file (its <see cref="FileAttributes.ReadOnly"/> attribute is set, on Unix: no write
    /// permission bit), which <c>mlContext.Model.Save</c> refuses too; nothing is written. Checked explicitly, so that a process
    /// running as root or administrator, whom the file system would let replace it, is refused as well.
    /// </exception>
    /// <exception cref="InvalidOperationException">ML.NET failed to save the model; the inner exception says why.</exception>
    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' is not a file path.", nameof(path));
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Cannot save the model to '{fullPath}': the directory '{directory}' does not exist. Create it first.");
        }

        if (File.Exists(fullPath) && (File.GetAttributes(fullPath) & FileAttributes.ReadOnly) != 0)
        {
            throw new UnauthorizedAccessException(
                $"Cannot save the model to '{fullPath}': the file is read-only, so nothing was written (mlContext.Model.Save refuses it too). Make the file writable or save to another path.");
        }

        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            try
            {
                mlContext.Model.Save(model, inputSchema, temporary);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"Saving the model to '{fullPath}' failed, so nothing was written there: {exception.Message}", exception);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>
    /// Loads a model saved with <c>mlContext.Model.Save</c> or <see cref="Save"/> and gives back GdTrainer's own
    /// transformers: each <see cref="GradientDescentRegressionTransformer"/> that was saved (stored as a chain of
    /// built-in ML.NET transformers) is rebuilt, with its <see cref="GradientDescentRegressionTransformer.Weights"/>,
    /// <see cref="GradientDescentRegressionTransformer.Bias"/>, loss history, feature column name and type,
    /// and it scores bit-identically to the saved model at the in-memory speed. The other transformers of the
    /// pipeline are returned as ML.NET loaded them, in chains with their original scopes.
    /// </summary>
    /// <remarks>
    /// Plain <c>mlContext.Model.Load</c> also works on these files but returns the built-in stand-in chain, which
    /// scores identically and roughly ten times slower per row (several ML.NET transforms per row instead of one).
    /// A saved chain that is not recognised (for example one written by an older build of GdTrainer without
    /// the stored feature-column description) is left as loaded and still scores correctly.
    /// </remarks>
    /// <param name="mlContext">The context; GdTrainer's saved-model components are registered with it.</param>
    /// <param name="path">The model file.</param>
    /// <param name="inputSchema">The schema of the data the model expects.</param>
    /// <returns>
    /// The loaded model: a <see cref="GradientDescentRegressionTransformer"/> for a file holding only the trained
    /// transformer, otherwise a <see cref="Microsoft.ML.Data.TransformerChain{TLastTransformer}"/> of
    /// <see cref="ITransformer"/> in which the trained transformer appears where it was when saved.
    /// </returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable ML.NET model (corrupted, truncated or of another format); the message names the file and the inner exception holds ML.NET's error.</exception>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"The model file '{fullPath}' does not exist.", fullPath);
        }

        mlContext.ComponentCatalog.RegisterAssembly(typeof(GradientDescentModel).Assembly);
        ITransformer loaded;
        try
        {
            loaded = mlContext.Model.Load(fullPath, out inputSchema);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            throw new InvalidDataException(
                $"The model file '{fullPath}' could not be loaded: it is corrupted, truncated or not an ML.NET model file ({exception.GetType().Name}: {exception.Message}). Save the model again.",
                exception);
        }

        return SavedModelRestorer.Restore(mlContext, loaded);
    }
}
