namespace GdTrainer.Tests.Training;

/// <summary>The learning task of a generated problem of <see cref="ShardTestData"/>.</summary>
public enum ShardTask
{
    /// <summary>Regression with the mean squared error.</summary>
    Regression,

    /// <summary>Binary classification with the binary cross-entropy of logits.</summary>
    Binary,

    /// <summary>Three classes with the cross-entropy.</summary>
    Multiclass,
}
