using System.Net;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary><c>GET /.well-known/authzen-configuration</c>: the PDP metadata names the configured base URL and endpoints that answer.</summary>
public sealed class ConfigurationTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private static readonly string[] EndpointMembers =
    [
        "access_evaluation_endpoint", "access_evaluations_endpoint",
        "search_subject_endpoint", "search_resource_endpoint", "search_action_endpoint",
    ];

    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task Configuration_Get_PolicyDecisionPointIsConfiguredPublicBaseUrl()
    {
        var reply = await _client.GetReplyAsync(Pdp.Configuration);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("application/json", reply.ContentType);
        Assert.Equal(ArbiterServerFixture.PublicBaseUrl, reply.Json.GetProperty("policy_decision_point").GetString());
    }

    [Fact]
    public async Task Configuration_Get_ListsEveryEndpointUnderTheBaseUrl()
    {
        var json = (await _client.GetReplyAsync(Pdp.Configuration)).Json;

        Assert.Equal(ArbiterServerFixture.PublicBaseUrl + Pdp.Evaluation, json.GetProperty("access_evaluation_endpoint").GetString());
        Assert.Equal(ArbiterServerFixture.PublicBaseUrl + Pdp.Evaluations, json.GetProperty("access_evaluations_endpoint").GetString());
        Assert.Equal(ArbiterServerFixture.PublicBaseUrl + Pdp.SearchSubject, json.GetProperty("search_subject_endpoint").GetString());
        Assert.Equal(ArbiterServerFixture.PublicBaseUrl + Pdp.SearchResource, json.GetProperty("search_resource_endpoint").GetString());
        Assert.Equal(ArbiterServerFixture.PublicBaseUrl + Pdp.SearchAction, json.GetProperty("search_action_endpoint").GetString());
        // Only registered AuthZEN capability URNs belong in 'capabilities'; Arbiter's own have a member of their own.
        Assert.Empty(json.GetProperty("capabilities").EnumerateArray());
        Assert.Contains("urn:arbiter:capability:direct", json.GetProperty("arbiter_capabilities").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public async Task Configuration_EveryAdvertisedEndpoint_AnswersOnThisServer()
    {
        var json = (await _client.GetReplyAsync(Pdp.Configuration)).Json;

        foreach (var member in EndpointMembers)
        {
            var path = new Uri(json.GetProperty(member).GetString()!).AbsolutePath;
            var reply = await _client.PostAsync(path, """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""");

            Assert.Equal(HttpStatusCode.OK, reply.Status);
        }
    }

    [Fact]
    public async Task Configuration_RequestId_Echoed()
    {
        var reply = await _client.GetReplyAsync(Pdp.Configuration, requestId: "meta-1");

        Assert.Equal("meta-1", reply.Header("X-Request-ID"));
    }

    [Fact]
    public async Task UnknownRoute_404()
    {
        var reply = await _client.PostAsync("/access/v1/evaluate", "{}");

        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
    }
}
