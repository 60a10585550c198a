namespace GdTrainer.Autograd;

/// <summary>
/// What an optimizer owes a parameter's rows lazily (see <see cref="Tensor{T}.PendingRows"/>): the parameter's values are its
/// stored values times <see cref="Scale"/>, one factor for every row, which a sparse product applies to what it reads; the
/// training loop calls <see cref="CatchUpAll"/> before anything reads the parameter in any other way.
/// </summary>
internal interface IRowCatchUp
{
    /// <summary>The factor that turns the stored values into the parameter's values (1 when nothing is owed).</summary>
    double Scale { get; }

    /// <summary>Applies what every row is owed: the stored values become the parameter's values, and <see cref="Scale"/> 1.</summary>
    void CatchUpAll();
}
