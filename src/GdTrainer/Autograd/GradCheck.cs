using System.Globalization;

namespace GdTrainer.Autograd;

/// <summary>
/// Verifies backward implementations against central finite differences in double precision
/// (PyTorch's <c>torch.autograd.gradcheck</c>): every entry of the Jacobian computed by
/// <see cref="Tensor{T}.Backward(Tensor{T}, bool)"/> is compared with
/// <c>(f(x + eps) - f(x - eps)) / (2 eps)</c>.
/// </summary>
public static class GradCheck
{
    /// <summary>The finite-difference step, 1e-6 (PyTorch's default): small enough that the O(eps^2) truncation error is ~1e-12, large enough that rounding (~1e-16 / eps) stays ~1e-10.</summary>
    public const double DefaultEpsilon = 1e-6;

    /// <summary>The absolute tolerance, 1e-5 (PyTorch's default).</summary>
    public const double DefaultAbsoluteTolerance = 1e-5;

    /// <summary>The relative tolerance, 1e-3 (PyTorch's default): an entry passes when <c>|analytic - numeric| &lt;= atol + rtol * |numeric|</c>.</summary>
    public const double DefaultRelativeTolerance = 1e-3;

    /// <summary>
    /// Compares the analytic and numeric Jacobians of <paramref name="function"/> at <paramref name="inputs"/>
    /// with respect to every input that requires grad. The function must be deterministic and must
    /// not keep state between calls; it is called twice per input element. The inputs' values are
    /// restored and their <see cref="Tensor{T}.Grad"/> reset to null afterwards.
    /// </summary>
    /// <param name="function">The computation under test, built from the inputs in the order given.</param>
    /// <param name="inputs">The points at which to check; avoid points where the function is not differentiable (0 for Abs and Relu).</param>
    /// <param name="epsilon">The finite-difference step. Default: <see cref="DefaultEpsilon"/>.</param>
    /// <param name="absoluteTolerance">Default: <see cref="DefaultAbsoluteTolerance"/>.</param>
    /// <param name="relativeTolerance">Default: <see cref="DefaultRelativeTolerance"/>.</param>
    /// <returns>The result; it does not throw when the check fails.</returns>
    /// <exception cref="ArgumentException">No input requires grad, or the function's result does not require grad.</exception>
    public static GradCheckResult Run(
        Func<IReadOnlyList<Tensor<double>>, Tensor<double>> function,
        IReadOnlyList<Tensor<double>> inputs,
        double epsilon = DefaultEpsilon,
        double absoluteTolerance = DefaultAbsoluteTolerance,
        double relativeTolerance = DefaultRelativeTolerance)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        var checkedInputs = new List<int>();
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].RequiresGrad)
            {
                inputs[i].Grad = null;
                checkedInputs.Add(i);
            }
        }

        if (checkedInputs.Count == 0)
        {
            throw new ArgumentException("GradCheck needs at least one input with RequiresGrad = true.", nameof(inputs));
        }

        Tensor<double> output = function(inputs);
        if (!output.RequiresGrad)
        {
            throw new ArgumentException("The function's result does not require grad: it does not depend on any checked input through recorded operations.", nameof(function));
        }

        double[][][] analytic = AnalyticJacobian(output, inputs, checkedInputs);

        double maxError = 0;
        int compared = 0;
        string? failure = null;
        foreach (int i in checkedInputs)
        {
            Span<double> values = inputs[i].Data;
            for (int e = 0; e < values.Length; e++)
            {
                double original = values[e];
                values[e] = original + epsilon;
                double[] plus = Evaluate(function, inputs);
                values[e] = original - epsilon;
                double[] minus = Evaluate(function, inputs);
                values[e] = original;

                for (int j = 0; j < plus.Length; j++)
                {
                    double numeric = (plus[j] - minus[j]) / (2 * epsilon);
                    double computed = analytic[j][i][e];
                    double error = Math.Abs(computed - numeric);
                    compared++;
                    bool ok = error <= absoluteTolerance + (relativeTolerance * Math.Abs(numeric));
                    if (double.IsNaN(error))
                    {
                        ok = double.IsNaN(computed) && double.IsNaN(numeric);
                        error = ok ? 0 : double.PositiveInfinity;
                    }

                    maxError = Math.Max(maxError, error);
                    if (!ok && failure is null)
                    {
                        failure = string.Create(
                            CultureInfo.InvariantCulture,
                            $"d output[{j}] / d input{i}[{e}]: analytic {computed:G10}, numeric {numeric:G10}, |difference| {error:G3} > {absoluteTolerance:G3} + {relativeTolerance:G3} * |numeric|");
                    }
                }
            }
        }

        foreach (int i in checkedInputs)
        {
            inputs[i].Grad = null;
        }

        string summary = failure is null
            ? string.Create(CultureInfo.InvariantCulture, $"Gradient check passed: {compared} Jacobian entries, max |analytic - numeric| = {maxError:G3}.")
            : "Gradient check FAILED at " + failure + ".";
        return new GradCheckResult(failure is null, maxError, compared, summary);
    }

    /// <summary>Row j holds, per input, the gradient of output element j: one backward per output element.</summary>
    private static double[][][] AnalyticJacobian(Tensor<double> output, IReadOnlyList<Tensor<double>> inputs, List<int> checkedInputs)
    {
        var jacobian = new double[output.Length][][];
        var seed = Tensor.Zeros<double>(output.Shape);
        for (int j = 0; j < output.Length; j++)
        {
            foreach (int i in checkedInputs)
            {
                inputs[i].Grad = null;
            }

            seed.Data.Clear();
            seed.Data[j] = 1;
            output.Backward(seed, retainGraph: true);

            jacobian[j] = new double[inputs.Count][];
            foreach (int i in checkedInputs)
            {
                jacobian[j][i] = inputs[i].Grad?.ToArray() ?? new double[inputs[i].Length];
            }
        }

        return jacobian;
    }

    private static double[] Evaluate(Func<IReadOnlyList<Tensor<double>>, Tensor<double>> function, IReadOnlyList<Tensor<double>> inputs)
    {
        using (Autograd.NoGrad())
        {
            return function(inputs).ToArray();
        }
    }
}
