namespace GdTrainer.Training;

/// <summary>A job of <see cref="ShardWorkers"/>: parts that can run on any thread, in any order, each writing only its own memory.</summary>
internal interface IShardJob
{
    /// <summary>Runs part <paramref name="part"/>.</summary>
    void RunPart(int part);
}
