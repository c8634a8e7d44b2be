using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;

namespace Arbiter.Graph.Sync;

/// <summary>
/// The sync's outer retry around one Graph call, for what <see cref="GraphThrottlingHandler"/> does not cover (it already
/// honoured Retry-After on 429/503/504): dropped connections, truncated bodies, timeouts, and 5xx/429 still failing after
/// its retries. Waits on the injected clock: Retry-After when Graph sent one, else exponential backoff with jitter.
/// Also knows which Graph errors mean "the delta token is gone" (never retried: the caller starts a full resync).
/// </summary>
internal sealed class GraphRetry(GraphOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>Runs <paramref name="operation"/>, again after a transient failure, up to <c>Graph:MaxAttempts</c> attempts.</summary>
    public async Task<T> RunAsync<T>(TenantRun run, string resource, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation(cancellationToken);
            }
            catch (Exception ex) when (attempt < options.MaxAttempts && !cancellationToken.IsCancellationRequested && IsTransient(ex))
            {
                var delay = RetryAfter(ex) ?? Backoff(attempt);
                SyncLog.TransientFailure(logger, ex.GetType().Name, resource, run.TenantId, attempt, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, time, cancellationToken);
            }
        }
    }

    /// <summary>410 Gone, or an error code saying the delta token can no longer be used: start over with a full sync.</summary>
    public static bool IsResyncRequired(Exception ex, out string reason)
    {
        reason = string.Empty;
        if (ex is ODataError odata && odata.Error?.Code is { } code &&
            (code.Equals("syncStateNotFound", StringComparison.OrdinalIgnoreCase) ||
             code.Equals("resyncRequired", StringComparison.OrdinalIgnoreCase) ||
             code.Equals("syncStateInvalid", StringComparison.OrdinalIgnoreCase)))
        {
            reason = code;
            return true;
        }

        if (ex is ApiException { ResponseStatusCode: (int)HttpStatusCode.Gone })
        {
            reason = "410 Gone";
            return true;
        }

        return false;
    }

    private TimeSpan Backoff(int attempt)
    {
        var baseMs = options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        return TimeSpan.FromMilliseconds(baseMs * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        ApiException api when IsResyncRequired(api, out _) => false,
        ApiException api => api.ResponseStatusCode is 408 or 429 or >= 500,
        HttpRequestException or IOException or JsonException or TimeoutException => true,
        // HttpClient.Timeout surfaces as TaskCanceledException while the caller's token is not cancelled.
        OperationCanceledException => true,
        _ => ex.InnerException is not null && IsTransient(ex.InnerException),
    };

    private static TimeSpan? RetryAfter(Exception ex)
    {
        if (ex is ApiException api && api.ResponseHeaders.TryGetValue("Retry-After", out var values))
        {
            var value = values.FirstOrDefault();
            if (int.TryParse(value, out var seconds) && seconds >= 0)
            {
                return TimeSpan.FromSeconds(Math.Min(seconds, 300));
            }
        }

        return null;
    }
}
