using System.Net;
using Arbiter.Api.Tests.Admin;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary>
/// The open world through the HTTP API (docs/open-world.md): the tenant settings document, aliases, asserted subjects,
/// request-supplied resources, the direct mode, and the per-tenant PDP routes.
/// </summary>
public sealed class OpenWorldApiTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private readonly HttpClient _client = server.Client;

    private static object Ask(string subjectType, string subjectId, string action, object resource, object? context = null) =>
        new { subject = new { type = subjectType, id = subjectId }, action = new { name = action }, resource, context, options = new { explain = true } };

    [Fact]
    public async Task Settings_AliasAndAssertedType_DecideAsTheDirectorySaysAndOnlyByType()
    {
        var policy = AdminApi.NewId("svc-read");
        await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, new
        {
            id = policy, effect = "permit", modes = new[] { "direct" }, actions = new[] { "data.read" },
            subjects = new { types = new[] { "service" } }, resources = new { types = new[] { "report" }, maxSensitivity = "internal" },
        });
        var directUser = AdminApi.NewId("alice-direct");
        await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, new
        {
            id = directUser, effect = "permit", modes = new[] { "direct" }, actions = new[] { "can_read" },
            subjects = new { users = new[] { "alice" } }, resources = new { types = new[] { "todo" } },
        });
        var settings = await _client.SendAsync(HttpMethod.Put, AdminApi.Directory("settings", "tenant"), new
        {
            subjectTypeAliases = new Dictionary<string, string> { ["identity"] = "user" },
            assertedSubjectTypes = new[] { "service" },
        });
        Assert.Equal(HttpStatusCode.Created, settings.Status);

        var report = new { type = "report", id = "q3", properties = new { classification = "internal" } };
        var service = await _client.PostAsync(Pdp.Evaluation, Ask("service", "billing-job", "data.read", report));
        var tooSensitive = await _client.PostAsync(Pdp.Evaluation, Ask("service", "billing-job", "data.read", new { type = "report", id = "q4", properties = new { classification = "confidential" } }));
        var unallowedType = await _client.PostAsync(Pdp.Evaluation, Ask("device", "printer-7", "data.read", report));
        var aliased = await _client.PostAsync(Pdp.Evaluation, Ask("identity", "alice", "can_read", new { type = "todo", id = "t1" }));
        var aliasedDisabled = await _client.PostAsync(Pdp.Evaluation, Ask("identity", "dave", "can_read", new { type = "todo", id = "t1" }));
        var throughAgent = await _client.PostAsync(Pdp.Evaluation, Ask("user", "alice", "can_read", new { type = "todo", id = "t1" }, new { agent = new { type = "agent", id = "hr-assistant" } }));
        var export = await _client.FetchAsync(AdminApi.Export);

        Assert.True(service.Decision(), service.Text);
        Assert.Equal("direct", service.Json.GetProperty("context").GetProperty("mode").GetString());
        Assert.False(tooSensitive.Decision());
        Assert.False(unallowedType.Decision());
        Assert.Contains("may not be asserted", unallowedType.ReasonAdmin(), StringComparison.Ordinal);
        Assert.True(aliased.Decision(), aliased.Text);
        Assert.False(aliasedDisabled.Decision());
        Assert.Contains("disabled", aliasedDisabled.ReasonAdmin(), StringComparison.Ordinal);
        // A direct permit never lends itself to an agent.
        Assert.False(throughAgent.Decision());
        Assert.Equal("user", export.Json.GetProperty("settings").GetProperty("subjectTypeAliases").GetProperty("identity").GetString());
    }

    [Theory]
    [InlineData("""{"assertedSubjectTypes":"service"}""", "/assertedSubjectTypes")]
    [InlineData("""{"subjectTypeAliases":{"bot":"agent"}}""", "")]
    [InlineData("""{"assertedSubjectTypes":["service","agent"]}""", "")]
    [InlineData("""{"assertedResourceTypes":["two words"]}""", "/assertedResourceTypes/0")]
    public async Task Settings_Invalid_400NothingStored(string body, string field)
    {
        var reply = await _client.SendAsync(HttpMethod.Put, AdminApi.Directory("settings", "tenant"), body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal(field, reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task TenantPath_OwnTenantAnswersOtherTenant404()
    {
        var request = Ask("user", "alice", "agent.invoke", new { type = "agent", id = "hr-assistant" });

        var own = await _client.PostAsync("/" + server.SeedTenant + Pdp.Evaluation, request);
        var other = await _client.PostAsync("/someone-else" + Pdp.Evaluation, request);
        var metadata = await _client.GetReplyAsync(Pdp.Configuration + "/" + server.SeedTenant);

        Assert.True(own.Decision(), own.Text);
        Assert.Equal(HttpStatusCode.NotFound, other.Status);
        Assert.EndsWith("/" + server.SeedTenant + Pdp.Evaluation, metadata.Json.GetProperty("access_evaluation_endpoint").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluations_ConditionOnContext_ReadsEachItemsContextOrTheBatchs()
    {
        // The context is kept as bytes by the one-pass reader until the condition reads it.
        var marker = AdminApi.NewId("marker");
        var policy = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies,
            $$"""{"id":"{{AdminApi.NewId("ctx")}}","effect":"forbid","actions":["agent.invoke"],"subjects":{"users":["alice"]},"agents":{"ids":["hr-assistant"]},"condition":"has(context.marker) && context.marker == '{{marker}}'"}""");
        Assert.True(policy.Status == HttpStatusCode.Created, policy.Text);

        var item = """{"resource":{"type":"agent","id":"hr-assistant"}""";
        var reply = await _client.PostAsync(Pdp.Evaluations,
            $$$"""{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"context":{"marker":"{{{marker}}}"},"evaluations":[{{{item}}}},{{{item}}},"context":{"marker":"other"}},{{{item}}},"context":null},{{{item}}},"context":{"marker":"{{{marker}}}","x":[1]}}]}""");
        var single = await _client.PostAsync(Pdp.Evaluation,
            $$$"""{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},{{{item[1..]}}},"context":{"marker":"{{{marker}}}"}}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal([false, true, true, false], reply.Json.GetProperty("evaluations").EnumerateArray().Select(e => e.GetProperty("decision").GetBoolean()));
        Assert.False(single.Decision(), single.Text);
    }

    [Theory]
    [InlineData("trace 42 / step=a;b", true)]
    [InlineData("tab\tinside", false)]
    public async Task RequestId_VisibleAsciiWithSpacesEchoedOtherwiseReplaced(string given, bool echoed)
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"), requestId: given);

        Assert.Equal(echoed, reply.Header("X-Request-ID") == given);
        Assert.False(string.IsNullOrWhiteSpace(reply.Header("X-Request-ID")));
    }
}
