using System.Net;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Conformance;

/// <summary>
/// The AuthZEN Authorization API 1.0 certification scenario, levels Basic, Batch, Search and Discovery, through the
/// HTTP API against our own expression of its fixture (Conformance/Certification).
/// </summary>
public sealed class CertificationTests(CertificationServer server) : IClassFixture<CertificationServer>
{
    private const string BasicCases = "Certification/basic.cases.json";
    private const string BatchCases = "Certification/batch.cases.json";
    private const string SearchCases = "Certification/search.cases.json";

    private static readonly string AliceReadsRecord1 = """{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}""";

    private readonly HttpClient _client = server.Client;

    public static TheoryData<string> Basic() => ConformanceCases.Names(BasicCases);

    public static TheoryData<string> Batch() => ConformanceCases.Names(BatchCases);

    public static TheoryData<string> Search() => ConformanceCases.Names(SearchCases);

    [Theory]
    [MemberData(nameof(Basic))]
    public Task Evaluate_BasicLevelCase_AnswersAsTheFixtureRequires(string name) => ConformanceCases.RunAsync(_client, BasicCases, name);

    [Theory]
    [MemberData(nameof(Batch))]
    public Task EvaluateBatch_BatchLevelCase_AnswersAsTheFixtureRequires(string name) => ConformanceCases.RunAsync(_client, BatchCases, name);

    [Theory]
    [MemberData(nameof(Search))]
    public Task Search_SearchLevelCase_FindsWhatTheFixtureRequires(string name) => ConformanceCases.RunAsync(_client, SearchCases, name);

    public static TheoryData<string, string, string> WrongContentTypes() => new()
    {
        { Pdp.Evaluation, AliceReadsRecord1, "text/plain" },
        { Pdp.Evaluations, AliceReadsRecord1, "text/plain" },
        { Pdp.SearchSubject, """{"subject":{"type":"user"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}""", "application/x-www-form-urlencoded" },
    };

    [Theory]
    [MemberData(nameof(WrongContentTypes))]
    public async Task Post_WrongContentType_400Problem(string path, string body, string contentType)
    {
        var reply = await _client.PostAsync(path, body, contentType);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    [Theory]
    [MemberData(nameof(WrongContentTypes))]
    public async Task Post_WrongContentType_RefusedAsAClientErrorProblem(string path, string body, string contentType)
    {
        var reply = await _client.PostAsync(path, body, contentType);

        Assert.True(reply.Status is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType, $"got {(int)reply.Status}: {reply.Text}");
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    public static TheoryData<string, string, string> UnreadableBodies() => new()
    {
        { Pdp.Evaluation, """{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},""", "application/json" },
        { Pdp.Evaluations, "{'evaluations': []}", "application/json" },
        { Pdp.SearchResource, "not json", "application/json" },
        { Pdp.Evaluation, "", "application/json" },
        { Pdp.Evaluations, "", "application/json" },
        { Pdp.SearchAction, "", "application/json" },
    };

    [Theory]
    [MemberData(nameof(UnreadableBodies))]
    public async Task Post_MalformedOrEmptyBody_400Problem(string path, string body, string contentType)
    {
        var reply = await _client.PostAsync(path, body, contentType);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    [Fact]
    public async Task Evaluate_SameRequestFiveTimes_SameDecisionEveryTime()
    {
        var decisions = new List<string>();
        for (var i = 0; i < 5; i++)
            decisions.Add((await _client.PostAsync(Pdp.Evaluation, AliceReadsRecord1)).Text);

        Assert.All(decisions, d => Assert.Equal("""{"decision":true}""", d));
    }

    [Fact]
    public async Task Configuration_WellKnown_NamesEveryEndpointAndOnlyRegisteredCapabilities()
    {
        var reply = await _client.GetReplyAsync(Pdp.Configuration);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("application/json", reply.ContentType);
        var metadata = reply.Json;
        Assert.Equal(ArbiterServerFixture.PublicBaseUrl, metadata.GetProperty("policy_decision_point").GetString());
        AssertEndpoints(metadata, ArbiterServerFixture.PublicBaseUrl);
        AssertRegisteredCapabilities(metadata);
    }

    [Fact]
    public async Task Configuration_PerTenantForm_ServesTheTenantsMetadata()
    {
        var reply = await _client.GetReplyAsync(Pdp.Configuration + "/" + server.SeedTenant);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var metadata = reply.Json;
        var pdp = metadata.GetProperty("policy_decision_point").GetString()!;
        Assert.StartsWith(ArbiterServerFixture.PublicBaseUrl, pdp, StringComparison.Ordinal);
        AssertEndpoints(metadata, pdp);
        AssertRegisteredCapabilities(metadata);
    }

    [Fact]
    public async Task Configuration_EndpointsItNames_AnswerTheFixture()
    {
        var metadata = (await _client.GetReplyAsync(Pdp.Configuration)).Json;
        string PathOf(string member) => new Uri(metadata.GetProperty(member).GetString()!).AbsolutePath;

        var single = await _client.PostAsync(PathOf("access_evaluation_endpoint"), AliceReadsRecord1);
        var batch = await _client.PostAsync(PathOf("access_evaluations_endpoint"),
            """{"subject":{"type":"user","id":"bob"},"resource":{"type":"record","id":"record-1"},"evaluations":[{"action":{"name":"read"}},{"action":{"name":"write"}}]}""");
        var subjects = await _client.PostAsync(PathOf("search_subject_endpoint"), """{"subject":{"type":"user"},"action":{"name":"write"},"resource":{"type":"record","id":"record-1"}}""");
        var resources = await _client.PostAsync(PathOf("search_resource_endpoint"), """{"subject":{"type":"user","id":"alice"},"action":{"name":"write"},"resource":{"type":"record"}}""");
        var actions = await _client.PostAsync(PathOf("search_action_endpoint"), """{"subject":{"type":"user","id":"bob"},"resource":{"type":"record","id":"record-1"}}""");

        Assert.Equal("""{"decision":true}""", single.Text);
        Assert.Equal("""{"evaluations":[{"decision":true},{"decision":false}]}""", batch.Text);
        Assert.Equal(["alice"], subjects.Json.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.Equal(["record-1"], resources.Json.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.Equal(["read"], actions.Json.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Configuration_PerTenantEndpoints_AnswerTheFixtureUnderTheTenantsPath()
    {
        var metadata = (await _client.GetReplyAsync(Pdp.Configuration + "/" + server.SeedTenant)).Json;
        string PathOf(string member) => new Uri(metadata.GetProperty(member).GetString()!).AbsolutePath;

        var single = await _client.PostAsync(PathOf("access_evaluation_endpoint"), AliceReadsRecord1);
        var batch = await _client.PostAsync(PathOf("access_evaluations_endpoint"),
            """{"subject":{"type":"user","id":"alice"},"action":{"name":"write"},"evaluations":[{"resource":{"type":"record","id":"record-1"}},{"resource":{"type":"record","id":"record-2"}}]}""");
        var resources = await _client.PostAsync(PathOf("search_resource_endpoint"), """{"subject":{"type":"user","id":"bob"},"action":{"name":"write"},"resource":{"type":"record"}}""");

        Assert.StartsWith("/" + server.SeedTenant + "/", PathOf("access_evaluation_endpoint"), StringComparison.Ordinal);
        Assert.Equal("""{"decision":true}""", single.Text);
        Assert.Equal("""{"evaluations":[{"decision":true},{"decision":false}]}""", batch.Text);
        Assert.Equal(["record-2"], resources.Json.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Evaluate_UnderAnotherTenantsPath_NotFoundNeverADecision()
    {
        var reply = await _client.PostAsync("/some-other-tenant" + Pdp.Evaluation, AliceReadsRecord1);

        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    private static void AssertEndpoints(System.Text.Json.JsonElement metadata, string pdp)
    {
        Assert.Equal(pdp + Pdp.Evaluation, metadata.GetProperty("access_evaluation_endpoint").GetString());
        Assert.Equal(pdp + Pdp.Evaluations, metadata.GetProperty("access_evaluations_endpoint").GetString());
        Assert.Equal(pdp + Pdp.SearchSubject, metadata.GetProperty("search_subject_endpoint").GetString());
        Assert.Equal(pdp + Pdp.SearchResource, metadata.GetProperty("search_resource_endpoint").GetString());
        Assert.Equal(pdp + Pdp.SearchAction, metadata.GetProperty("search_action_endpoint").GetString());
    }

    /// <summary>AuthZEN capabilities are IANA-registered URNs in the urn:ietf:params:authzen sub-namespace; Arbiter's own live elsewhere.</summary>
    private static void AssertRegisteredCapabilities(System.Text.Json.JsonElement metadata)
    {
        if (!metadata.TryGetProperty("capabilities", out var capabilities))
            return;
        Assert.Equal(System.Text.Json.JsonValueKind.Array, capabilities.ValueKind);
        Assert.All(capabilities.EnumerateArray(), c => Assert.StartsWith("urn:ietf:params:authzen:", c.GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Evaluate_UnicodeInIdsAndProperties_DecidedNotRejected()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation,
            """{"subject":{"type":"user","id":"alice","properties":{"name":"Алиса 👩"}},"action":{"name":"write"},"resource":{"type":"record","id":"record-ü","properties":{"status":"active"}}}""");

        Assert.Equal("""{"decision":true}""", reply.Text);
    }
}
