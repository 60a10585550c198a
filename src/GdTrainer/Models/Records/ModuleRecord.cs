namespace GdTrainer.Models.Records;

/// <summary>
/// One module's format record as read by <see cref="ModuleFormat"/>, before anything is allocated for its parameters: how many
/// parameter values the module will hold (so that a forged record claiming huge sizes is rejected before it is built) and how to
/// build the module.
/// </summary>
/// <param name="parameterCount">The number of parameter values the built module holds, in double so that a forged record's sizes cannot overflow it.</param>
/// <param name="build">Builds the module with freshly initialised parameters (the saved values are loaded afterwards); may throw <see cref="ArgumentException"/> for an impossible setting.</param>
internal sealed class ModuleRecord(double parameterCount, Func<Module> build)
{
    /// <summary>The number of parameter values the built module holds.</summary>
    internal double ParameterCount { get; } = parameterCount;

    /// <summary>Builds the module; <see cref="ArgumentException"/> for a setting the module's constructor rejects.</summary>
    internal Module Build() => build();
}
