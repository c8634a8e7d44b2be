using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Arbiter.Checkpoints.Tests;

/// <summary>Keeps every log line (event id and message) so a test can ask which were written.</summary>
public sealed class CapturingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(EventId Id, string Message)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue((eventId, formatter(state, exception)));
}
