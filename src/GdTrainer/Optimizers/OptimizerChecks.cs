namespace GdTrainer.Optimizers;

using System.Globalization;

/// <summary>Argument checks shared by the optimizers and schedulers, with messages that name the setting and its valid range.</summary>
internal static class OptimizerChecks
{
    public static string Format(double value) => value.ToString("G9", CultureInfo.InvariantCulture);

    /// <summary>Throws unless <paramref name="value"/> is finite and &gt;= 0.</summary>
    public static void NonNegative(float value, string parameterName, string what)
    {
        if (!float.IsFinite(value) || value < 0f)
        {
            throw new ArgumentOutOfRangeException(parameterName, value, $"The {what} must be a finite number >= 0, but was {Format(value)}.");
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and &gt; 0.</summary>
    public static void Positive(float value, string parameterName, string what)
    {
        if (!float.IsFinite(value) || value <= 0f)
        {
            throw new ArgumentOutOfRangeException(parameterName, value, $"The {what} must be a finite number > 0, but was {Format(value)}.");
        }
    }

    /// <summary>Throws unless 0 &lt;= <paramref name="value"/> &lt; 1.</summary>
    public static void UnitInterval(float value, string parameterName, string what)
    {
        if (!(value >= 0f && value < 1f))
        {
            throw new ArgumentOutOfRangeException(parameterName, value, $"The {what} must be in [0, 1), but was {Format(value)}.");
        }
    }
}
