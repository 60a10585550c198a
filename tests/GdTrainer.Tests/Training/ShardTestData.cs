namespace GdTrainer.Tests.Training;

using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Training;

/// <summary>
/// Generated problems for the data-parallel tests: dense or sparse rows (sparse ones wider than 1,024 columns, as the ML.NET
/// trainers read a wide feature column), labels for regression, binary or multiclass classification, optional example weights,
/// and the models and losses that fit them. Each call builds fresh objects from the seed, so that several runs (or ranks on
/// several threads) train on equal but separate copies.
/// </summary>
internal static class ShardTestData
{
    /// <summary>The columns of the sparse rows.</summary>
    internal const int SparseColumns = 1_500;

    /// <summary>The features of the dense rows.</summary>
    internal const int DenseFeatures = 6;

    /// <summary>The classes of the multiclass task.</summary>
    internal const int Classes = 3;

    /// <summary>The source of <paramref name="rows"/> rows of <paramref name="task"/>, dense or sparse, with or without example weights.</summary>
    internal static TrainingSource Source(ShardTask task, bool sparse, int rows, bool weighted, int seed)
    {
        var random = new Random(seed);
        int columns = sparse ? SparseColumns : DenseFeatures;
        var dense = new DenseTrainingSource.Builder(columns, weighted, rows, "the generated rows");
        var wide = new SparseTrainingSource.Builder(columns, weighted, rows, "the generated sparse rows");
        var values = new float[columns];
        var indices = new List<int>();
        var nonZeros = new List<float>();
        for (int i = 0; i < rows; i++)
        {
            double score = 0;
            if (sparse)
            {
                // About 12 non-zeros a row, 4 of them in the first 40 columns, which carry the signal.
                indices.Clear();
                nonZeros.Clear();
                var chosen = new SortedSet<int>();
                while (chosen.Count < 12)
                {
                    chosen.Add(chosen.Count < 4 ? random.Next(40) : random.Next(columns));
                }

                foreach (int column in chosen)
                {
                    float value = (float)(random.NextDouble() + 0.5);
                    indices.Add(column);
                    nonZeros.Add(value);
                    score += column < 40 ? value * Math.Sin(column) : 0;
                }
            }
            else
            {
                for (int j = 0; j < columns; j++)
                {
                    values[j] = (float)((random.NextDouble() * 4) - 2);
                    score += values[j] * (j % 2 == 0 ? 0.8 : -0.5);
                }

                score += 0.3 * values[0] * values[1];
            }

            float label = task switch
            {
                ShardTask.Regression => (float)(score + (0.1 * (random.NextDouble() - 0.5))),
                ShardTask.Binary => random.NextDouble() < 1 / (1 + Math.Exp(-2 * score)) ? 1f : 0f,
                _ => score < -0.5 ? 0f : score < 0.5 ? 1f : 2f,
            };
            float weight = weighted ? (float)(0.25 + (1.5 * random.NextDouble())) : 1f;
            if (sparse)
            {
                wide.AddSparse([.. indices], [.. nonZeros], label, weight);
            }
            else
            {
                values.CopyTo(dense.NextRow());
                dense.Commit(label, weight);
            }
        }

        return sparse ? wide.Build() : dense.Build();
    }

    /// <summary>The model: the linear model (one output; a linear layer for multiclass), or an MLP with dropout.</summary>
    internal static Module Model(ShardTask task, bool sparse, bool mlp)
    {
        int inputs = sparse ? SparseColumns : DenseFeatures;
        int outputs = task == ShardTask.Multiclass ? Classes : 1;
        if (mlp)
        {
            return new Mlp(inputs, [24, 16], outputs, Activation.Relu, dropout: 0.25f, seed: 4);
        }

        return outputs == 1 ? new LinearModel(inputs) : new Linear(inputs, outputs, bias: true, new Random(4));
    }

    /// <summary>The task's loss.</summary>
    internal static Loss Loss(ShardTask task) => task switch
    {
        ShardTask.Regression => new MeanSquaredErrorLoss(),
        ShardTask.Binary => new BinaryCrossEntropyWithLogitsLoss(),
        _ => new CrossEntropyLoss(),
    };

    /// <summary>Every parameter's and every epoch loss's bits, in order: equal arrays mean bit-identical models and histories.</summary>
    internal static int[] Bits(Module model, TrainingHistory history)
    {
        var bits = new List<int>();
        foreach (Tensor<float> parameter in model.Parameters())
        {
            foreach (float value in parameter.Data)
            {
                bits.Add(BitConverter.SingleToInt32Bits(value));
            }
        }

        foreach (EpochReport epoch in history.Epochs)
        {
            bits.Add(BitConverter.SingleToInt32Bits(epoch.TrainingLoss));
            bits.Add(BitConverter.SingleToInt32Bits(epoch.ValidationLoss));
        }

        return [.. bits];
    }
}
