using System.Numerics;

namespace GdTrainer.Autograd;

/// <summary>
/// Special functions that .NET's <see cref="Math"/> lacks, accurate to double precision: the error
/// function and its complement (W. J. Cody's rational Chebyshev approximations, SPECFUN <c>CALERF</c>,
/// Math. Comp. 23 (1969) 631-637; the approximations themselves are far more accurate than double, so
/// the result is within a few ulp: the tests hold erf to 4e-16 and erfc to 2e-15 relative), the
/// standard normal distribution function and <c>log(1 + u)</c>.
/// </summary>
internal static class SpecialFunctions
{
    /// <summary>1 / sqrt(pi).</summary>
    private const double InverseSqrtPi = 5.6418958354775628695e-1;

    /// <summary>Below this, erf(x) = 2x/sqrt(pi) to double precision (Cody's XSMALL).</summary>
    private const double Small = 1.11e-16;

    /// <summary>Above this, erfc(x) underflows to 0 in double precision (Cody's XBIG).</summary>
    private const double Big = 26.543;

    // erf on |x| <= 0.46875: x * A(x^2) / B(x^2).
    private static readonly double[] s_a = [3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03, 1.85777706184603153e-1];
    private static readonly double[] s_b = [2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03];

    // erfc on 0.46875 < |x| <= 4: exp(-x^2) * C(x) / D(x).
    private static readonly double[] s_c =
    [
        5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
        8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8,
    ];

    private static readonly double[] s_d =
    [
        1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
        3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03,
    ];

    // erfc on |x| > 4: exp(-x^2) / x * (1/sqrt(pi) - P(1/x^2) / (x^2 Q(1/x^2))).
    private static readonly double[] s_p = [3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2];
    private static readonly double[] s_q = [2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];

    /// <summary>The error function <c>erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt</c>; NaN for NaN.</summary>
    internal static double Erf(double x)
    {
        double y = Math.Abs(x);
        if (y <= 0.46875)
        {
            return SmallArgumentErf(x, y);
        }

        double complement = ErfcOfPositive(y);
        double result = (0.5 - complement) + 0.5;
        return x < 0 ? -result : result;
    }

    /// <summary>The complementary error function <c>erfc(x) = 1 - erf(x)</c>, without cancellation for large x; NaN for NaN.</summary>
    internal static double Erfc(double x)
    {
        double y = Math.Abs(x);
        if (y <= 0.46875)
        {
            return 1.0 - SmallArgumentErf(x, y);
        }

        double complement = ErfcOfPositive(y);
        return x < 0 ? 2.0 - complement : complement;
    }

    /// <summary>
    /// The standard normal distribution function <c>Phi(x) = erfc(-x / sqrt(2)) / 2</c>, computed through
    /// erfc so that the lower tail keeps full relative accuracy (Phi(-30) ~ 5e-198, not 0).
    /// </summary>
    internal static double NormalCdf(double x) => 0.5 * Erfc(-x * 0.70710678118654752440);

    /// <summary>The standard normal density <c>phi(x) = exp(-x^2 / 2) / sqrt(2 pi)</c>.</summary>
    internal static double NormalPdf(double x) => 0.39894228040143267794 * Math.Exp(-0.5 * x * x);

    /// <summary>
    /// <c>log(1 + u)</c> accurate also for tiny u (where <c>Math.Log(1 + u)</c> returns 0), by Kahan's
    /// trick: the rounding error of <c>w = 1 + u</c> is corrected by <c>u / (w - 1)</c>.
    /// </summary>
    internal static T LogOnePlus<T>(T u)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        T w = T.One + u;
        if (w == T.One)
        {
            return u;
        }

        return T.IsPositiveInfinity(w) ? w : T.Log(w) * u / (w - T.One);
    }

    /// <summary>
    /// <c>destination[i] = Phi(x[i])</c>: <see cref="NormalCdf(double)"/> for a span of <see cref="float"/> or
    /// <see cref="double"/>, with the same approximations evaluated on <see cref="Vector{T}"/> lanes of that type
    /// (all three intervals computed, then selected per lane) and a scalar tail. In double the results match the
    /// scalar form to a few ulp; in float they are float-accurate (Cody's coefficients serve both precisions).
    /// </summary>
    internal static void NormalCdf<TF>(ReadOnlySpan<TF> x, Span<TF> destination)
        where TF : unmanaged, IFloatingPointIeee754<TF>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var scale = new Vector<TF>(TF.CreateTruncating(-0.70710678118654752440));
            var half = new Vector<TF>(TF.CreateTruncating(0.5));
            for (; i <= x.Length - Vector<TF>.Count; i += Vector<TF>.Count)
            {
                var z = new Vector<TF>(x.Slice(i)) * scale;
                (half * Erfc(z)).CopyTo(destination.Slice(i));
            }
        }

        for (; i < x.Length; i++)
        {
            destination[i] = TF.CreateTruncating(NormalCdf(double.CreateTruncating(x[i])));
        }
    }

    /// <summary><c>destination[i] = phi(x[i]) = exp(-x[i]^2 / 2) / sqrt(2 pi)</c>, vectorised, for <see cref="float"/> or <see cref="double"/>.</summary>
    internal static void NormalPdf<TF>(ReadOnlySpan<TF> x, Span<TF> destination)
        where TF : unmanaged, IFloatingPointIeee754<TF>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var minusHalf = new Vector<TF>(TF.CreateTruncating(-0.5));
            var normaliser = new Vector<TF>(TF.CreateTruncating(0.39894228040143267794));
            for (; i <= x.Length - Vector<TF>.Count; i += Vector<TF>.Count)
            {
                var value = new Vector<TF>(x.Slice(i));
                (normaliser * Exp(minusHalf * value * value)).CopyTo(destination.Slice(i));
            }
        }

        for (; i < x.Length; i++)
        {
            destination[i] = TF.CreateTruncating(NormalPdf(double.CreateTruncating(x[i])));
        }
    }

    /// <summary>erfc on vector lanes: the scalar <see cref="Erfc(double)"/>'s three intervals, each evaluated for every lane and then selected.</summary>
    private static Vector<TF> Erfc<TF>(Vector<TF> x)
        where TF : unmanaged, IFloatingPointIeee754<TF>
    {
        Vector<TF> one = Vector<TF>.One;
        Vector<TF> y = Vector.Abs(x);

        // |x| <= 0.46875: erfc = 1 - x A(x^2) / B(x^2).
        Vector<TF> ysq = y * y;
        Vector<TF> numerator = Constant<TF>(s_a[4]) * ysq;
        Vector<TF> denominator = ysq;
        for (int k = 0; k < 3; k++)
        {
            numerator = (numerator + Constant<TF>(s_a[k])) * ysq;
            denominator = (denominator + Constant<TF>(s_b[k])) * ysq;
        }

        Vector<TF> small = one - (x * (numerator + Constant<TF>(s_a[3])) / (denominator + Constant<TF>(s_b[3])));

        // 0.46875 < |x| <= 4: C(y) / D(y).
        numerator = Constant<TF>(s_c[8]) * y;
        denominator = y;
        for (int k = 0; k < 7; k++)
        {
            numerator = (numerator + Constant<TF>(s_c[k])) * y;
            denominator = (denominator + Constant<TF>(s_d[k])) * y;
        }

        Vector<TF> middle = (numerator + Constant<TF>(s_c[7])) / (denominator + Constant<TF>(s_d[7]));

        // |x| > 4: (1/sqrt(pi) - P(1/y^2) / (y^2 Q(1/y^2))) / y.
        Vector<TF> inverseSquare = one / ysq;
        numerator = Constant<TF>(s_p[5]) * inverseSquare;
        denominator = inverseSquare;
        for (int k = 0; k < 4; k++)
        {
            numerator = (numerator + Constant<TF>(s_p[k])) * inverseSquare;
            denominator = (denominator + Constant<TF>(s_q[k])) * inverseSquare;
        }

        Vector<TF> tail = inverseSquare * (numerator + Constant<TF>(s_p[4])) / (denominator + Constant<TF>(s_q[4]));
        tail = (Constant<TF>(InverseSqrtPi) - tail) / y;

        Vector<TF> rational = Vector.ConditionalSelect(Vector.LessThanOrEqual(y, Constant<TF>(4.0)), middle, tail);
        Vector<TF> sixteen = Constant<TF>(16.0);
        Vector<TF> rounded = Truncate(y * sixteen) / sixteen;
        Vector<TF> delta = (y - rounded) * (y + rounded);
        Vector<TF> complement = Exp(-(rounded * rounded)) * Exp(-delta) * rational;
        complement = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(y, Constant<TF>(Big)), Vector<TF>.Zero, complement);
        complement = Vector.ConditionalSelect(Vector.LessThan(x, Vector<TF>.Zero), Constant<TF>(2.0) - complement, complement);
        return Vector.ConditionalSelect(Vector.LessThanOrEqual(y, Constant<TF>(0.46875)), small, complement);
    }

    private static Vector<TF> Constant<TF>(double value)
        where TF : unmanaged, IFloatingPointIeee754<TF> => new(TF.CreateTruncating(value));

    // Vector.Exp and Vector.Truncate exist for float and double lanes only; the type tests fold away per instantiation.
    private static Vector<TF> Exp<TF>(Vector<TF> x)
        where TF : unmanaged, IFloatingPointIeee754<TF> =>
        typeof(TF) == typeof(float) ? Vector.Exp(x.As<TF, float>()).As<float, TF>()
        : typeof(TF) == typeof(double) ? Vector.Exp(x.As<TF, double>()).As<double, TF>()
        : throw new NotSupportedException($"Vectorised exp supports float and double lanes, not {typeof(TF).Name}.");

    private static Vector<TF> Truncate<TF>(Vector<TF> x)
        where TF : unmanaged, IFloatingPointIeee754<TF> =>
        typeof(TF) == typeof(float) ? Vector.Truncate(x.As<TF, float>()).As<float, TF>()
        : typeof(TF) == typeof(double) ? Vector.Truncate(x.As<TF, double>()).As<double, TF>()
        : throw new NotSupportedException($"Vectorised truncation supports float and double lanes, not {typeof(TF).Name}.");

    private static double SmallArgumentErf(double x, double y)
    {
        double ysq = y > Small ? y * y : 0.0;
        double numerator = s_a[4] * ysq;
        double denominator = ysq;
        for (int i = 0; i < 3; i++)
        {
            numerator = (numerator + s_a[i]) * ysq;
            denominator = (denominator + s_b[i]) * ysq;
        }

        return x * (numerator + s_a[3]) / (denominator + s_b[3]);
    }

    /// <summary>erfc(y) for y &gt; 0.46875 (or NaN).</summary>
    private static double ErfcOfPositive(double y)
    {
        double result;
        if (y <= 4.0)
        {
            double numerator = s_c[8] * y;
            double denominator = y;
            for (int i = 0; i < 7; i++)
            {
                numerator = (numerator + s_c[i]) * y;
                denominator = (denominator + s_d[i]) * y;
            }

            result = (numerator + s_c[7]) / (denominator + s_d[7]);
        }
        else if (y >= Big)
        {
            return 0.0;
        }
        else if (double.IsNaN(y))
        {
            return double.NaN;
        }
        else
        {
            double inverseSquare = 1.0 / (y * y);
            double numerator = s_p[5] * inverseSquare;
            double denominator = inverseSquare;
            for (int i = 0; i < 4; i++)
            {
                numerator = (numerator + s_p[i]) * inverseSquare;
                denominator = (denominator + s_q[i]) * inverseSquare;
            }

            result = inverseSquare * (numerator + s_p[4]) / (denominator + s_q[4]);
            result = (InverseSqrtPi - result) / y;
        }

        // exp(-y^2) split as exp(-r^2) * exp(-(y - r)(y + r)) with r = y rounded down to 1/16, so that
        // the rounding error of y^2 (up to ~700 * 1e-16 in absolute terms) does not reach the result.
        double rounded = Math.Truncate(y * 16.0) / 16.0;
        double delta = (y - rounded) * (y + rounded);
        return Math.Exp(-rounded * rounded) * Math.Exp(-delta) * result;
    }
}
