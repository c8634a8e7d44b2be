using System.Net;
using System.Net.Http.Headers;

namespace Arbiter.Graph.Tests;

public sealed class GraphThrottlingHandlerTests
{
    private static readonly Uri Url = new("http://127.0.0.1/v1.0/users/delta");

    [Fact]
    public async Task Send_429WithRetryAfterSeconds_WaitsThatLongThenRetries()
    {
        var clock = new WaitSkippingClock();
        var graph = new ScriptedGraph(Throttled(HttpStatusCode.TooManyRequests, r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7))), Ok());

        using var response = await SendAsync(graph, clock, maxRetries: 3, retryDelay: TimeSpan.FromSeconds(3));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([TimeSpan.FromSeconds(7)], clock.Waits);
        Assert.Equal([null, "1"], graph.RetryAttempts);
    }

    [Fact]
    public async Task Send_503And504WithoutRetryAfter_BackOffDoublingFromRetryDelay()
    {
        var clock = new WaitSkippingClock();
        var graph = new ScriptedGraph(Throttled(HttpStatusCode.ServiceUnavailable), Throttled(HttpStatusCode.GatewayTimeout), Throttled(HttpStatusCode.ServiceUnavailable), Ok());

        using var response = await SendAsync(graph, clock, maxRetries: 3, retryDelay: TimeSpan.FromSeconds(2));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8)], clock.Waits);
        Assert.Equal([null, "1", "2", "3"], graph.RetryAttempts);
    }

    [Fact]
    public async Task Send_RetryAfterHttpDate_WaitsUntilThatTimeOnTheInjectedClock()
    {
        var clock = new WaitSkippingClock();
        var until = clock.GetUtcNow().AddSeconds(30);
        var graph = new ScriptedGraph(Throttled(HttpStatusCode.TooManyRequests, r => r.Headers.RetryAfter = new RetryConditionHeaderValue(until)), Ok());

        using var response = await SendAsync(graph, clock, maxRetries: 1, retryDelay: TimeSpan.FromSeconds(3));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([TimeSpan.FromSeconds(30)], clock.Waits);
    }

    [Fact]
    public async Task Send_RetryAfterBeyondCap_WaitsAtMostMaxDelay()
    {
        var clock = new WaitSkippingClock();
        var graph = new ScriptedGraph(Throttled(HttpStatusCode.TooManyRequests, r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromHours(1))), Ok());

        using var response = await SendAsync(graph, clock, maxRetries: 1, retryDelay: TimeSpan.FromSeconds(3));

        Assert.Equal([GraphThrottlingHandler.MaxDelay], clock.Waits);
    }

    [Fact]
    public async Task Send_StillThrottledAfterMaxRetries_ReturnsTheLastAnswer()
    {
        var clock = new WaitSkippingClock();
        var graph = new ScriptedGraph(Throttled(HttpStatusCode.TooManyRequests), Throttled(HttpStatusCode.TooManyRequests), Throttled(HttpStatusCode.TooManyRequests), Ok());

        using var response = await SendAsync(graph, clock, maxRetries: 2, retryDelay: TimeSpan.Zero);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(3, graph.RetryAttempts.Count);
    }

    [Fact]
    public async Task Send_NotThrottled_SentOnce()
    {
        var clock = new WaitSkippingClock();
        var graph = new ScriptedGraph(Throttled(HttpStatusCode.InternalServerError), Ok());

        using var response = await SendAsync(graph, clock, maxRetries: 3, retryDelay: TimeSpan.FromSeconds(3));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Empty(clock.Waits);
        Assert.Single(graph.RetryAttempts);
    }

    private static async Task<HttpResponseMessage> SendAsync(ScriptedGraph graph, TimeProvider clock, int maxRetries, TimeSpan retryDelay)
    {
        using var invoker = new HttpMessageInvoker(new GraphThrottlingHandler(maxRetries, retryDelay, clock) { InnerHandler = graph });
        using var request = new HttpRequestMessage(HttpMethod.Get, Url);
        return await invoker.SendAsync(request, CancellationToken.None);
    }

    private static Func<HttpResponseMessage> Throttled(HttpStatusCode status, Action<HttpResponseMessage>? headers = null) => () =>
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent("{\"error\":{\"code\":\"throttled\"}}") };
        headers?.Invoke(response);
        return response;
    };

    private static Func<HttpResponseMessage> Ok() => () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"value\":[]}") };

    /// <summary>Answers each request with the next scripted response and records the Retry-Attempt header it carried.</summary>
    private sealed class ScriptedGraph(params Func<HttpResponseMessage>[] answers) : HttpMessageHandler
    {
        private int _next;

        public List<string?> RetryAttempts { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            RetryAttempts.Add(request.Headers.TryGetValues("Retry-Attempt", out var values) ? values.Single() : null);
            var response = answers[_next++]();
            response.RequestMessage = request;
            return Task.FromResult(response);
        }
    }
}
