using ScottPlot;

namespace GdTrainer.Samples.Plotting;

/// <summary>The samples' PNG charts, drawn with ScottPlot and written atomically (never a half-written file).</summary>
public static class PngPlots
{
    /// <summary>Width of every chart, in pixels.</summary>
    public const int Width = 800;

    /// <summary>Height of every chart, in pixels.</summary>
    public const int Height = 600;

    /// <summary>Draws the points and the line <c>y = weight * x + bias</c> over their x range and saves it as a PNG.</summary>
    /// <returns>The full path of the written file.</returns>
    public static string SaveFittedLine(string path, ReadOnlySpan<float> x, ReadOnlySpan<float> y, float weight, float bias, string title)
    {
        var plot = new Plot();
        double[] xs = ToDoubles(x);
        var points = plot.Add.ScatterPoints(xs, ToDoubles(y));
        points.LegendText = "data";
        points.MarkerSize = 7;

        double left = xs.Length == 0 ? 0 : xs.Min();
        double right = xs.Length == 0 ? 1 : xs.Max();
        var line = plot.Add.Line(left, (weight * left) + bias, right, (weight * right) + bias);
        line.LegendText = $"fit: y = {weight:F3} x + {bias:F3}";
        line.LineWidth = 2;

        plot.Title(title);
        plot.XLabel("x");
        plot.YLabel("y");
        plot.ShowLegend(Alignment.UpperLeft);
        return Save(plot, path);
    }

    /// <summary>
    /// Draws the points, the true function and a fitted curve (both sampled on <paramref name="grid"/>)
    /// and saves it as a PNG.
    /// </summary>
    /// <param name="path">Where to write the PNG; its directory is created if needed.</param>
    /// <param name="x">The points' inputs.</param>
    /// <param name="y">The points' targets, as long as <paramref name="x"/>.</param>
    /// <param name="grid">The x values where both curves are sampled, in increasing order.</param>
    /// <param name="truth">The true function at each grid value.</param>
    /// <param name="fitted">The model's prediction at each grid value.</param>
    /// <param name="title">The chart's title.</param>
    /// <param name="truthLabel">The true function's legend entry. Default: <c>truth</c>.</param>
    /// <returns>The full path of the written file.</returns>
    /// <exception cref="ArgumentException">The points' or the curves' lengths differ.</exception>
    public static string SaveFittedCurve(
        string path, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> grid, ReadOnlySpan<float> truth, ReadOnlySpan<float> fitted, string title, string truthLabel = "truth")
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException($"The points need as many y values as x values, but have {x.Length} x and {y.Length} y.", nameof(y));
        }

        if (truth.Length != grid.Length || fitted.Length != grid.Length)
        {
            throw new ArgumentException(
                $"Both curves need one value per grid point ({grid.Length}), but the truth has {truth.Length} and the fit {fitted.Length}.", nameof(fitted));
        }

        var plot = new Plot();
        var points = plot.Add.ScatterPoints(ToDoubles(x), ToDoubles(y));
        points.LegendText = "data";
        points.MarkerSize = 4;

        double[] xs = ToDoubles(grid);
        var truthCurve = plot.Add.ScatterLine(xs, ToDoubles(truth));
        truthCurve.LegendText = truthLabel;
        truthCurve.LineWidth = 2;
        truthCurve.LinePattern = LinePattern.Dashed;
        truthCurve.Color = Colors.Black;

        var fittedCurve = plot.Add.ScatterLine(xs, ToDoubles(fitted));
        fittedCurve.LegendText = "fitted MLP";
        fittedCurve.LineWidth = 3;
        fittedCurve.Color = Colors.OrangeRed;

        plot.Title(title);
        plot.XLabel("x");
        plot.YLabel("y");
        plot.ShowLegend(Alignment.UpperLeft);
        return Save(plot, path);
    }

    /// <summary>Draws a loss curve (one value per step) and saves it as a PNG.</summary>
    /// <returns>The full path of the written file.</returns>
    public static string SaveLossCurve(string path, ReadOnlySpan<float> losses, string title, string stepLabel)
    {
        var plot = new Plot();
        double[] steps = new double[losses.Length];
        for (int i = 0; i < steps.Length; i++)
        {
            steps[i] = i + 1;
        }

        var curve = plot.Add.ScatterLine(steps, ToDoubles(losses));
        curve.LegendText = "training loss";
        curve.LineWidth = 2;
        plot.Title(title);
        plot.XLabel(stepLabel);
        plot.YLabel("loss");
        return Save(plot, path);
    }

    /// <summary>
    /// Draws the training and the validation loss per epoch (epochs without a validation loss, NaN, are left out of its
    /// curve) and, when given, a vertical line at the epoch whose weights the model kept; saves it as a PNG.
    /// </summary>
    /// <param name="path">Where to write the PNG; its directory is created if needed.</param>
    /// <param name="training">The training loss of each epoch.</param>
    /// <param name="validation">The validation loss of each epoch, as long as <paramref name="training"/>.</param>
    /// <param name="title">The chart's title.</param>
    /// <param name="keptEpoch">The epoch (from 1) whose weights the model holds, or null for no marker.</param>
    /// <returns>The full path of the written file.</returns>
    /// <exception cref="ArgumentException">The two curves' lengths differ.</exception>
    public static string SaveTrainingAndValidationLoss(string path, ReadOnlySpan<float> training, ReadOnlySpan<float> validation, string title, int? keptEpoch)
    {
        if (training.Length != validation.Length)
        {
            throw new ArgumentException(
                $"Both curves need one value per epoch, but the training loss has {training.Length} and the validation loss {validation.Length}.", nameof(validation));
        }

        var plot = new Plot();
        var epochs = new double[training.Length];
        for (int i = 0; i < epochs.Length; i++)
        {
            epochs[i] = i + 1;
        }

        // Log scale: the first epochs' loss is often 10-100x the last ones', which would flatten the part that matters.
        var trainingCurve = plot.Add.ScatterLine(epochs, Log10(training));
        trainingCurve.LegendText = "training loss";
        trainingCurve.LineWidth = 2;

        var validationEpochs = new List<double>(validation.Length);
        var validationLosses = new List<double>(validation.Length);
        for (int i = 0; i < validation.Length; i++)
        {
            if (!float.IsNaN(validation[i]))
            {
                validationEpochs.Add(i + 1);
                validationLosses.Add(Math.Log10(Math.Max(validation[i], float.Epsilon)));
            }
        }

        if (validationLosses.Count > 0)
        {
            var validationCurve = plot.Add.ScatterLine(validationEpochs.ToArray(), validationLosses.ToArray());
            validationCurve.LegendText = "validation loss";
            validationCurve.LineWidth = 2;
            validationCurve.Color = Colors.OrangeRed;
        }

        if (keptEpoch is { } kept)
        {
            var marker = plot.Add.VerticalLine(kept);
            marker.LegendText = $"weights kept: epoch {kept}";
            marker.LinePattern = LinePattern.Dashed;
            marker.Color = Colors.Gray;
        }

        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("loss (log scale)");
        double lowest = double.MaxValue, highest = double.MinValue;
        foreach (double value in trainingCurve.Data.GetScatterPoints().Select(point => point.Y).Concat(validationLosses))
        {
            (lowest, highest) = (Math.Min(lowest, value), Math.Max(highest, value));
        }

        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = highest - lowest >= 2, // Powers of ten when the curves span two decades; else ticks in between, labelled with their loss.
            LabelFormatter = exponent => Math.Pow(10, exponent).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.ShowLegend(Alignment.UpperRight);
        return Save(plot, path);
    }

    private static string Save(Plot plot, string path)
    {
        string fullPath = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        string temporary = Path.Combine(directory ?? ".", $".{Path.GetFileNameWithoutExtension(fullPath)}.{Environment.ProcessId}.tmp.png");
        try
        {
            plot.SavePng(temporary, Width, Height);
            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }

        return fullPath;
    }

    private static double[] Log10(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = Math.Log10(Math.Max(values[i], float.Epsilon));
        }

        return result;
    }

    private static double[] ToDoubles(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }
}
