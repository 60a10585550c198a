namespace GdTrainer.Tests.MLNet;

using Microsoft.Extensions.Logging;

/// <summary>An <see cref="ILogger"/> that records every event with its structured state.</summary>
internal sealed class CapturingLogger : ILogger
{
    private readonly List<LogEvent> _events = [];

    internal Action<LogEvent>? OnLog { get; init; }

    internal IReadOnlyList<LogEvent> Events
    {
        get
        {
            lock (_events)
            {
                return _events.ToArray();
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IReadOnlyList<KeyValuePair<string, object?>> list
            ? list.ToDictionary(p => p.Key, p => p.Value)
            : new Dictionary<string, object?>();
        var logEvent = new LogEvent(logLevel, eventId, formatter(state, exception), values);
        lock (_events)
        {
            _events.Add(logEvent);
        }

        OnLog?.Invoke(logEvent);
    }

    internal sealed record LogEvent(LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> State);
}
