namespace GdTrainer.Tests.Optimizers;

/// <summary>
/// The algorithm boxes of PyTorch's torch.optim documentation, written out in double, one element at a time, and
/// independently of the implementation (the boxes' own forms, e.g. m̂ = m / (1 − β1^t) rather than a folded step size).
/// Each returns a step function (θ, g) → θ updated in place, with its own state.
/// </summary>
internal static class ReferenceOptimizers
{
    public static Action<double[], double[]> Sgd(double lr, double weightDecay = 0, double momentum = 0, double dampening = 0, bool nesterov = false)
    {
        double[]? b = null;
        return (theta, grad) =>
        {
            bool first = b is null;
            b ??= new double[theta.Length];
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grad[i];
                if (weightDecay != 0)
                {
                    g += weightDecay * theta[i];
                }

                if (momentum != 0)
                {
                    b[i] = first ? g : (momentum * b[i]) + ((1 - dampening) * g);
                    g = nesterov ? g + (momentum * b[i]) : b[i];
                }

                theta[i] -= lr * g;
            }
        };
    }

    public static Action<double[], double[]> Adam(double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad, bool decoupled = false)
    {
        double[]? m = null, v = null, vMax = null;
        int t = 0;
        return (theta, grad) =>
        {
            m ??= new double[theta.Length];
            v ??= new double[theta.Length];
            vMax ??= new double[theta.Length];
            t++;
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grad[i];
                if (decoupled)
                {
                    theta[i] -= lr * weightDecay * theta[i]; // AdamW: θ_t ← θ_{t−1} − γλθ_{t−1}
                }
                else if (weightDecay != 0)
                {
                    g += weightDecay * theta[i];
                }

                m[i] = (beta1 * m[i]) + ((1 - beta1) * g);
                v[i] = (beta2 * v[i]) + ((1 - beta2) * g * g);
                double mHat = m[i] / (1 - Math.Pow(beta1, t));
                double vHat;
                if (amsgrad)
                {
                    vMax[i] = Math.Max(vMax[i], v[i]);
                    vHat = vMax[i] / (1 - Math.Pow(beta2, t));
                }
                else
                {
                    vHat = v[i] / (1 - Math.Pow(beta2, t));
                }

                theta[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
        };
    }

    public static Action<double[], double[]> RmsProp(double lr, double alpha, double eps, double weightDecay, double momentum, bool centered)
    {
        double[]? v = null, gAve = null, b = null;
        return (theta, grad) =>
        {
            v ??= new double[theta.Length];
            gAve ??= new double[theta.Length];
            b ??= new double[theta.Length];
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grad[i];
                if (weightDecay != 0)
                {
                    g += weightDecay * theta[i];
                }

                v[i] = (alpha * v[i]) + ((1 - alpha) * g * g);
                double vTilde = v[i];
                if (centered)
                {
                    gAve[i] = (alpha * gAve[i]) + ((1 - alpha) * g);
                    vTilde -= gAve[i] * gAve[i];
                }

                if (momentum > 0)
                {
                    b[i] = (momentum * b[i]) + (g / (Math.Sqrt(vTilde) + eps));
                    theta[i] -= lr * b[i];
                }
                else
                {
                    theta[i] -= lr * g / (Math.Sqrt(vTilde) + eps);
                }
            }
        };
    }

    public static Action<double[], double[]> Adagrad(double lr, double lrDecay, double weightDecay, double initialAccumulator, double eps)
    {
        double[]? sum = null;
        int t = 0;
        return (theta, grad) =>
        {
            if (sum is null)
            {
                sum = new double[theta.Length];
                Array.Fill(sum, initialAccumulator);
            }

            t++;
            double lrT = lr / (1 + ((t - 1) * lrDecay));
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grad[i];
                if (weightDecay != 0)
                {
                    g += weightDecay * theta[i];
                }

                sum[i] += g * g;
                theta[i] -= lrT * g / (Math.Sqrt(sum[i]) + eps);
            }
        };
    }
}
