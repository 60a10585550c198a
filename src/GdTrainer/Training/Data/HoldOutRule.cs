namespace GdTrainer.Training;

/// <summary>
/// Which <see cref="HeldOut"/> of the <see cref="Rows"/> rows of a stream are held out for validation: Knuth's selection
/// sampling (Algorithm S, TAOCP vol. 2, 3.4.2), which walks the rows once in order and holds out row t with probability
/// (still to hold out) / (rows left), so that exactly <see cref="HeldOut"/> rows are held out and every subset of that size is
/// equally likely. Its draws come from a generator seeded by <see cref="Seed"/>, so every pass holds out the same rows
/// without storing which: the memory is constant, whatever the number of rows.
/// </summary>
/// <param name="Seed">The seed of the draws.</param>
/// <param name="Rows">The usable rows of the stream (at least 1).</param>
/// <param name="HeldOut">The rows to hold out, from 0 to <paramref name="Rows"/>.</param>
internal sealed record HoldOutRule(int Seed, int Rows, int HeldOut)
{
    /// <summary>The rule's decisions for one pass, row by row from the first.</summary>
    internal Selector Start() => new(this);

    /// <summary>Decides, row after row of a pass, whether the row is held out.</summary>
    internal sealed class Selector(HoldOutRule rule)
    {
        private readonly FastRandom _random = new(rule.Seed);
        private int _seen;
        private int _chosen;

        /// <summary>Whether the next row of the pass is held out (call once per row, at most <see cref="Rows"/> times).</summary>
        internal bool Next()
        {
            bool heldOut = _random.NextBelow(rule.Rows - _seen) < rule.HeldOut - _chosen;
            _seen++;
            _chosen += heldOut ? 1 : 0;
            return heldOut;
        }
    }
}
