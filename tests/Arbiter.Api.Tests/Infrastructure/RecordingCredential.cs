using System.Collections.Concurrent;
using Azure.Core;

namespace Arbiter.Api.Tests.Infrastructure;

/// <summary>
/// A credential that hands out a dummy token and records every scope asked for, so a test sees which client used it.
/// <see cref="Asked"/> completes when a scope containing the given text is first asked for (an event, not a poll).
/// </summary>
public sealed class RecordingCredential : TokenCredential
{
    private readonly ConcurrentQueue<string> _scopes = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waits = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Scopes => [.. _scopes];

    /// <summary>Completes once a scope containing <paramref name="text"/> has been asked for.</summary>
    public Task Asked(string text)
    {
        var wait = _waits.GetOrAdd(text, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_scopes.Any(s => s.Contains(text, StringComparison.OrdinalIgnoreCase)))
            wait.TrySetResult();
        return wait.Task;
    }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        foreach (var scope in requestContext.Scopes)
        {
            _scopes.Enqueue(scope);
            foreach (var (text, wait) in _waits)
            {
                if (scope.Contains(text, StringComparison.OrdinalIgnoreCase))
                    wait.TrySetResult();
            }
        }
        // Never expires, so no client needs the clock to decide to refresh it.
        return new AccessToken("recorded-token", DateTimeOffset.MaxValue);
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
