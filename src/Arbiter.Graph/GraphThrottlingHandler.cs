using System.Globalization;
using System.Net;

namespace Arbiter.Graph;

/// <summary>
/// Graph's throttling contract in the HTTP pipeline, in place of the SDK's RetryHandler: a 429, 503 or 504 is sent
/// again after <c>Retry-After</c> (seconds or an HTTP date), or after <c>RetryDelay</c> doubled per retry when Graph
/// names no wait, at most <c>MaxRetries</c> times and never more than 180 s at once. The wait runs on the injected
/// <see cref="TimeProvider"/> (the SDK's waits on the wall clock), so a test's fake clock governs it. When the retries
/// are spent the last answer goes to the SDK, which raises it as an <c>ApiException</c> for the sync's outer retry.
/// </summary>
public sealed class GraphThrottlingHandler(int maxRetries, TimeSpan retryDelay, TimeProvider time) : DelegatingHandler
{
    /// <summary>The longest single wait, as Graph's SDKs cap it.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(180);

    private const string RetryAttemptHeader = "Retry-Attempt";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        // Only a request without a body can be sent again as it is; the sync sends nothing else.
        for (var retry = 0; retry < maxRetries && request.Content is null && IsThrottled(response.StatusCode); retry++)
        {
            var delay = DelayFor(response, retry);
            response.Dispose();
            await Task.Delay(delay, time, cancellationToken);
            request.Headers.Remove(RetryAttemptHeader);
            request.Headers.Add(RetryAttemptHeader, (retry + 1).ToString(CultureInfo.InvariantCulture));
            response = await base.SendAsync(request, cancellationToken);
        }

        return response;
    }

    private static bool IsThrottled(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>The wait before retry <paramref name="retry"/> (0-based): what Graph asked for, else exponential.</summary>
    private TimeSpan DelayFor(HttpResponseMessage response, int retry)
    {
        var delay = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } when date - time.GetUtcNow() is var until && until > TimeSpan.Zero => until,
            _ => retryDelay * Math.Pow(2, retry),
        };
        return delay < MaxDelay ? delay : MaxDelay;
    }
}
