using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Arbiter.Client;
using Arbiter.Mcp.Tests.Infrastructure;
using Azure.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Mcp.Tests.Client;

public sealed class ArbiterClientTests
{
    private static readonly EvaluationRequest Request = new(
        new Subject("user", "alice"),
        new AccessAction("tools/call"),
        new Resource("tool", "hr-lookup", new JsonObject { ["server"] = "hr-mcp" }),
        new JsonObject { ["agent"] = new JsonObject { ["type"] = "agent", ["id"] = "hr-assistant" } });

    private const string Permit = """{"decision":true,"context":{"decision_id":"d-1","reason_user":{"en":"Allowed."},"obligations":[{"id":"no-pay","type":"redact","properties":{"fields":["salary"]}}]}}""";

    [Fact]
    public async Task EvaluateAsync_PermitWithUnderstoodObligation_ReturnsPermitAndSendsRequestId()
    {
        await using var pdp = await FakePdp.StartAsync(200, Permit);
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider(), new Dictionary<string, string?> { ["UnderstoodObligations:0"] = "redact" });
        await using var _ = services;

        var decision = await client.EvaluateAsync(Request, new DecisionCallOptions { RequestId = "req-42" });

        Assert.True(decision.Allowed);
        Assert.Equal("d-1", decision.DecisionId);
        Assert.Equal(DecisionFailure.None, decision.Failure);
        var obligation = Assert.Single(decision.Obligations);
        Assert.Equal("redact", obligation.Type);
        var seen = Assert.Single(pdp.Requests);
        Assert.Equal("/access/v1/evaluation", seen.Path);
        Assert.Equal("req-42", seen.Headers["X-Request-ID"].ToString());
        var body = JsonNode.Parse(seen.Body)!;
        Assert.Equal("alice", (string?)body["subject"]!["id"]);
        Assert.Equal("hr-mcp", (string?)body["resource"]!["properties"]!["server"]);
        Assert.Equal("hr-assistant", (string?)body["context"]!["agent"]!["id"]);
    }

    [Fact]
    public async Task EvaluateAsync_PermitWithObligationNotUnderstood_Denies()
    {
        await using var pdp = await FakePdp.StartAsync(200, Permit);
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;

        var decision = await client.EvaluateAsync(Request);

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionFailure.UnknownObligation, decision.Failure);
        Assert.Equal("d-1", decision.DecisionId);
        Assert.Contains("redact", decision.ReasonAdmin, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateAsync_CallDeclaresObligation_HonoursCallSet()
    {
        await using var pdp = await FakePdp.StartAsync(200, Permit);
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;

        var decision = await client.EvaluateAsync(Request, new DecisionCallOptions { UnderstoodObligations = new HashSet<string> { "redact" } });

        Assert.True(decision.Allowed);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task EvaluateAsync_ServerError_DeniesUnavailable(int status)
    {
        await using var pdp = await FakePdp.StartAsync(status, """{"decision":true}""");
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;

        var decision = await client.EvaluateAsync(Request);

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionFailure.Unavailable, decision.Failure);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), decision.ReasonAdmin, StringComparison.Ordinal);
        Assert.Single(pdp.Requests); // a 5xx is not retried
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(400)]
    public async Task EvaluateAsync_CallRefused_DeniesRejected(int status)
    {
        await using var pdp = await FakePdp.StartAsync(status, """{"title":"no"}""");
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;

        var decision = await client.EvaluateAsync(Request);

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionFailure.Rejected, decision.Failure);
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("""{"decision":"yes"}""")]
    [InlineData("""{"context":{}}""")]
    [InlineData("""[true]""")]
    [InlineData("""{"decision":true,"context":{"obligations":{"type":"redact"}}}""")]
    [InlineData("""{"decision":true,"context":{"obligations":[{"id":"x"}]}}""")]
    public async Task EvaluateAsync_UnreadableAnswer_DeniesInvalidResponse(string body)
    {
        await using var pdp = await FakePdp.StartAsync(200, body);
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;

        var decision = await client.EvaluateAsync(Request);

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionFailure.InvalidResponse, decision.Failure);
        Assert.NotNull(decision.ReasonUser);
    }

    [Fact]
    public async Task EvaluateAsync_NoAnswerWithinTimeout_DeniesUnavailable()
    {
        await using var pdp = await FakePdp.StartAsync(context => Task.Delay(Timeout.Infinite, context.RequestAborted));
        var time = new FakeTimeProvider();
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, time, new Dictionary<string, string?> { ["Timeout"] = "00:00:02" });
        await using var _ = services;

        var pending = client.EvaluateAsync(Request);
        await pdp.Received.Task;
        time.Advance(TimeSpan.FromSeconds(2));
        var decision = await pending;

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionFailure.Unavailable, decision.Failure);
        Assert.Contains("in time", decision.ReasonAdmin, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateAsync_NothingListening_DeniesUnavailable()
    {
        var (client, services) = ClientFactory.Create(new Uri($"http://127.0.0.1:{ClosedPort()}/"), new FakeTimeProvider());
        await using var _ = services;

        var decision = await client.EvaluateAsync(Request);

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionFailure.Unavailable, decision.Failure);
        Assert.Contains("could not be reached", decision.ReasonAdmin, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateAsync_CallerCancels_Throws()
    {
        await using var pdp = await FakePdp.StartAsync(context => Task.Delay(Timeout.Infinite, context.RequestAborted));
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;
        using var cancellation = new CancellationTokenSource();

        var pending = client.EvaluateAsync(Request, cancellationToken: cancellation.Token);
        await pdp.Received.Task;
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
    }

    [Fact]
    public async Task EvaluateAsync_CacheOn_ReusesAnswerUntilLifetimeEnds()
    {
        await using var pdp = await FakePdp.StartAsync(200, """{"decision":true,"context":{"decision_id":"d-7"}}""");
        var time = new FakeTimeProvider();
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, time, new Dictionary<string, string?> { ["CacheLifetime"] = "00:00:01" });
        await using var _ = services;

        await client.EvaluateAsync(Request);
        time.Advance(TimeSpan.FromMilliseconds(999));
        var cached = await client.EvaluateAsync(Request);
        Assert.Single(pdp.Requests);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var fresh = await client.EvaluateAsync(Request);

        Assert.True(cached.Allowed);
        Assert.True(fresh.Allowed);
        Assert.Equal(2, pdp.Requests.Count);
    }

    [Fact]
    public async Task EvaluateAsync_CacheOff_AsksEveryTime()
    {
        await using var pdp = await FakePdp.StartAsync(200, """{"decision":true}""");
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;

        await client.EvaluateAsync(Request);
        await client.EvaluateAsync(Request);

        Assert.Equal(2, pdp.Requests.Count);
    }

    [Fact]
    public async Task EvaluateAsync_CacheOn_NeverCachesFailures()
    {
        var calls = 0;
        await using var pdp = await FakePdp.StartAsync(async context =>
        {
            context.Response.StatusCode = Interlocked.Increment(ref calls) == 1 ? 503 : 200;
            await context.Response.WriteAsync("""{"decision":true}""");
        });
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider(), new Dictionary<string, string?> { ["CacheLifetime"] = "00:00:01" });
        await using var _ = services;

        var first = await client.EvaluateAsync(Request);
        var second = await client.EvaluateAsync(Request);

        Assert.False(first.Allowed);
        Assert.True(second.Allowed);
    }

    [Theory]
    [InlineData("CacheLifetime", "00:00:02")]
    [InlineData("CacheLifetime", "-00:00:01")]
    [InlineData("Timeout", "00:00:00")]
    [InlineData("MaxRetries", "9")]
    [InlineData("Endpoint", "http://arbiter.example.net/")]
    public void Options_OutOfBounds_FailAtStart(string key, string value)
    {
        var services = ClientFactory.Services(new Uri("http://127.0.0.1:1/"), new FakeTimeProvider(), new Dictionary<string, string?> { [key] = value });
        using (services)
        {
            var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ArbiterClientOptions>>().Value);
            Assert.Contains(key, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task EvaluateBatchAsync_ItemErrorAndShortAnswer_DenyThoseItems()
    {
        await using var pdp = await FakePdp.StartAsync(200, """{"evaluations":[{"decision":true},{"decision":false,"context":{"error":{"status":400,"message":"resource.id is required"}}}]}""");
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;
        var batch = new EvaluationsRequest(
            [new EvaluationItem(Resource: new Resource("tool", "a")), new EvaluationItem(Resource: new Resource("tool", "b")), new EvaluationItem(Resource: new Resource("tool", "c"))],
            Subject: new Subject("user", "alice"), Action: new AccessAction("tools/call"), Options: new EvaluationsOptions(EvaluationsSemantics.DenyOnFirstDeny));

        var decisions = await client.EvaluateBatchAsync(batch);

        Assert.Equal(3, decisions.Count);
        Assert.True(decisions[0].Allowed);
        Assert.Equal(DecisionFailure.Rejected, decisions[1].Failure);
        Assert.False(decisions[2].Allowed);
        Assert.Contains("deny_on_first_deny", Assert.Single(pdp.Requests).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateBatchAsync_ServerError_DeniesEveryItem()
    {
        await using var pdp = await FakePdp.StartAsync(502, "bad gateway");
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;

        var decisions = await client.EvaluateBatchAsync(new EvaluationsRequest([new EvaluationItem(), new EvaluationItem()]));

        Assert.All(decisions, d => Assert.Equal(DecisionFailure.Unavailable, d.Failure));
        Assert.Equal(2, decisions.Count);
    }

    [Fact]
    public async Task SearchResourcesAsync_Page_ReturnsResultsAndToken()
    {
        await using var pdp = await FakePdp.StartAsync(200, """{"results":[{"type":"tool","id":"docs-search"}],"page":{"next_token":"abc","count":1,"total":2}}""");
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;

        var page = await client.SearchResourcesAsync(new ResourceSearchRequest(new Subject("user", "bob"), new AccessAction("tools/call"), new Resource("tool"), Page: new PageRequest(Limit: 1)));

        Assert.True(page.Succeeded);
        Assert.Equal("docs-search", Assert.Single(page.Results).Id);
        Assert.Equal("abc", page.NextToken);
        Assert.Equal("/access/v1/search/resource", Assert.Single(pdp.Requests).Path);
    }

    [Fact]
    public async Task SearchSubjectsAsync_Garbage_FailsWithNoResults()
    {
        await using var pdp = await FakePdp.StartAsync(200, """{"results":"everyone"}""");
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;

        var page = await client.SearchSubjectsAsync(new SubjectSearchRequest(new Subject("user"), new AccessAction("tools/call"), new Resource("tool", "hr-lookup")));

        Assert.False(page.Succeeded);
        Assert.Empty(page.Results);
        Assert.Equal(DecisionFailure.InvalidResponse, page.Failure);
    }

    [Fact]
    public async Task SearchActionsAsync_Unavailable_FailsWithNoResults()
    {
        await using var pdp = await FakePdp.StartAsync(503, "{}");
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;

        var page = await client.SearchActionsAsync(new ActionSearchRequest(new Subject("user", "bob"), new Resource("tool", "hr-lookup")));

        Assert.Equal(DecisionFailure.Unavailable, page.Failure);
        Assert.Empty(page.Results);
    }

    [Fact]
    public async Task DiscoverAsync_Metadata_ReadsEndpoints()
    {
        await using var pdp = await FakePdp.StartAsync(200, """{"policy_decision_point":"https://pdp","access_evaluation_endpoint":"https://pdp/access/v1/evaluation","capabilities":["x"]}""");
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;

        var metadata = await client.DiscoverAsync();

        Assert.Equal("https://pdp", metadata!.PolicyDecisionPoint);
        Assert.Equal("https://pdp/access/v1/evaluation", metadata.AccessEvaluationEndpoint);
        Assert.Equal("/.well-known/authzen-configuration", Assert.Single(pdp.Requests).Path);
    }

    [Fact]
    public async Task EvaluateAsync_ScopeSet_SendsTokenFromCredential()
    {
        await using var pdp = await FakePdp.StartAsync(200, """{"decision":false}""");
        var credential = new CountingCredential();
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider(), new Dictionary<string, string?> { ["Scope"] = "api://arbiter/.default" },
            s => s.AddSingleton<TokenCredential>(credential));
        await using var _ = services;

        await client.EvaluateAsync(Request);
        await client.EvaluateAsync(Request);

        Assert.All(pdp.Requests, r => Assert.Equal("Bearer token-for-api://arbiter/.default", r.Headers.Authorization.ToString()));
        Assert.Equal(1, credential.Calls);
    }

    [Fact]
    public async Task EvaluateAsync_NoScope_SendsNoToken()
    {
        await using var pdp = await FakePdp.StartAsync(200, """{"decision":false}""");
        var (client, services) = ClientFactory.Create(pdp.BaseAddress, new FakeTimeProvider());
        await using var _ = services;

        var decision = await client.EvaluateAsync(Request);

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionFailure.None, decision.Failure);
        Assert.Equal(StringValuesEmpty, Assert.Single(pdp.Requests).Headers.Authorization.ToString());
    }

    private const string StringValuesEmpty = "";

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class CountingCredential : TokenCredential
    {
        public int Calls;

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return ValueTask.FromResult(new AccessToken("token-for-" + requestContext.Scopes[0], DateTimeOffset.MaxValue));
        }
    }
}
