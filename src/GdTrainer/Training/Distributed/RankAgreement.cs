namespace GdTrainer.Training;

using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using GdTrainer.Models;

/// <summary>
/// What the ranks of a data-parallel run check together before training, and decide together during it: that every rank has
/// the same settings, rows and starting model (otherwise each would train its own model and the exchanged gradients would mix
/// them), and whether any rank's run was cancelled (so that all stop at the same epoch's end).
/// </summary>
internal static class RankAgreement
{
    /// <summary>
    /// Fails on every rank, naming the ranks that differ from rank 0 and in what, unless every rank has the same settings (their
    /// text, which names every option), the same rows (count, features, their statistics' bits), the same validation rows, the
    /// same model (its parameter count and its starting weights' hash) and the same caller fingerprint (the label's keys).
    /// </summary>
    /// <exception cref="InvalidOperationException">The ranks differ; the message names each differing rank and what differs.</exception>
    internal static void Check(Communicator communicator, TrainerSettings settings, Module model, TrainingSource training, TrainingSource? validation, ulong? initialWeights)
    {
        var parts = new (string What, ulong Value)[]
        {
            ("training rows", Hash(training.RowCount, training.FeatureCount, training.Statistics)),
            ("validation rows", validation is null ? 0 : Hash(validation.RowCount, validation.FeatureCount, validation.Statistics)),
            ("label keys", settings.CallerFingerprint),
            ("model", unchecked(((ulong)ParameterCount(model) * 31) + (initialWeights ?? 0))),
            ("settings", Hash(settings.WhatTheModelDependsOn())),
        };

        var local = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            local[i] = unchecked((long)parts[i].Value);
        }

        var gathered = new long[local.Length * communicator.Size];
        communicator.AllGather<long>(local, gathered);
        var differing = new List<string>();
        var what = new List<string>();
        for (int rank = 1; rank < communicator.Size; rank++)
        {
            what.Clear();
            for (int i = 0; i < parts.Length; i++)
            {
                if (gathered[(rank * parts.Length) + i] != gathered[i])
                {
                    what.Add(parts[i].What);
                }
            }

            if (what.Count > 0)
            {
                differing.Add(string.Create(CultureInfo.InvariantCulture, $"rank {rank}'s {string.Join(" and ", what)}"));
            }
        }

        if (differing.Count > 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The ranks of this data-parallel run do not agree before training: {string.Join(", ", differing)} differ from rank 0's. Every rank must call Fit with the same options, the same data (read the same way) and the same starting model; check the command line and the data each rank reads (settings derived from the rows, such as the learning rate, differ when the rows do)."));
        }
    }

    /// <summary>Whether any rank's token is cancelled (an all-reduce of one flag: every rank gets the same answer).</summary>
    internal static bool AnyCancelled(Communicator communicator, CancellationToken token) =>
        communicator.AllReduce(token.IsCancellationRequested ? 1L : 0L, ReduceOperation.Max) != 0;

    private static long ParameterCount(Module model)
    {
        long count = 0;
        foreach (var parameter in model.Parameters())
        {
            count += parameter.Length;
        }

        return count;
    }

    private static ulong Hash(string text) => XxHash64.HashToUInt64(MemoryMarshal.AsBytes(text.AsSpan()));

    private static ulong Hash(int rows, int features, FeatureStatistics statistics)
    {
        var hash = new XxHash64();
        hash.Append(BitConverter.GetBytes(rows));
        hash.Append(BitConverter.GetBytes(features));
        hash.Append(MemoryMarshal.AsBytes(statistics.Means.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(statistics.Variances.AsSpan()));
        hash.Append(BitConverter.GetBytes(statistics.TotalWeight));
        hash.Append(BitConverter.GetBytes(statistics.LabelMean));
        return hash.GetCurrentHashAsUInt64();
    }
}
