namespace GdTrainer.MLNet;

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

/// <summary>
/// Decodes the model record that a loaded carrier hands to its scoring mapping with every row, once: ML.NET passes the same
/// string instance for every row (the <c>MapValue</c> transform returns its stored value without copying), so the decoded
/// model is found by reference in O(1) per row, and no row copies or re-reads the parameters. Thread-safe.
/// </summary>
internal sealed class PayloadCache
{
    private static readonly ConditionalWeakTable<object, ModelPayload> s_decoded = new();
    private Entry? _last;

    /// <summary>The decoded record behind <paramref name="text"/>.</summary>
    /// <exception cref="InvalidDataException">The record is damaged (checked once, before the first row is scored).</exception>
    internal ModelPayload Get(ReadOnlyMemory<char> text)
    {
        object? owner = MemoryMarshal.TryGetString(text, out string? value, out _, out _) ? value
            : MemoryMarshal.TryGetArray(text, out ArraySegment<char> segment) ? segment.Array : null;
        Entry? last = Volatile.Read(ref _last);
        if (last is not null && owner is not null && ReferenceEquals(last.Owner, owner) && last.Length == text.Length)
        {
            return last.Payload;
        }

        if (owner is null)
        {
            // Not backed by a string or an array (never seen from ML.NET 5): compare the content with the last record.
            return last is not null && last.Text.AsSpan().SequenceEqual(text.Span) ? last.Payload : Remember(text, text, ModelPayload.Decode(text.Span));
        }

        ModelPayload payload = s_decoded.GetValue(owner, _ => ModelPayload.Decode(text.Span));
        return Remember(owner, text, payload);
    }

    private ModelPayload Remember(object owner, ReadOnlyMemory<char> text, ModelPayload payload)
    {
        Volatile.Write(ref _last, new Entry(owner, text.Length, owner is string ? string.Empty : text.ToString(), payload));
        return payload;
    }

    private sealed record Entry(object Owner, int Length, string Text, ModelPayload Payload);
}
