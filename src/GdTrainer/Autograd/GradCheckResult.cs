namespace GdTrainer.Autograd;

/// <summary>The outcome of <see cref="GradCheck.Run"/>: whether every analytic derivative matched, and the worst mismatch.</summary>
/// <param name="Passed">True when every entry of the analytic Jacobian is within tolerance of the numeric one.</param>
/// <param name="MaxAbsoluteError">The largest <c>|analytic - numeric|</c> over all Jacobian entries.</param>
/// <param name="EntriesCompared">How many Jacobian entries (output element x input element) were compared.</param>
/// <param name="Summary">A readable account; names the first entry out of tolerance when the check failed.</param>
public sealed record GradCheckResult(bool Passed, double MaxAbsoluteError, int EntriesCompared, string Summary)
{
    /// <summary>The summary.</summary>
    public override string ToString() => Summary;
}
