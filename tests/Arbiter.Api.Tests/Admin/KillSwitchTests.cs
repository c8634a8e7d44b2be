using System.Net;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Admin;

/// <summary>Suspend and resume an agent: the very next decision on this instance follows.</summary>
public sealed class KillSwitchTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task SuspendAgent_Permitted_NextEvaluationDeniesAsSuspended()
    {
        var agent = await _client.CreateInvokableAgentAsync("alice");
        Assert.True((await _client.InvokeAsync("alice", agent)).Decision());

        var suspend = await _client.SendAsync(HttpMethod.Post, $"{AdminApi.Prefix}/agents/{agent}/suspend");
        var next = await _client.InvokeAsync("alice", agent);

        Assert.Equal(HttpStatusCode.OK, suspend.Status);
        Assert.True(suspend.Json.GetProperty("body").GetProperty("suspended").GetBoolean());
        Assert.False(next.Decision());
        Assert.Contains("suspended", next.ReasonAdmin(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResumeAgent_Suspended_NextEvaluationPermitsAgain()
    {
        var agent = await _client.CreateInvokableAgentAsync("alice");
        await _client.SendAsync(HttpMethod.Post, $"{AdminApi.Prefix}/agents/{agent}/suspend");
        Assert.False((await _client.InvokeAsync("alice", agent)).Decision());

        var resume = await _client.SendAsync(HttpMethod.Post, $"{AdminApi.Prefix}/agents/{agent}/resume");
        var next = await _client.InvokeAsync("alice", agent);

        Assert.Equal(HttpStatusCode.OK, resume.Status);
        Assert.False(resume.Json.GetProperty("body").GetProperty("suspended").GetBoolean());
        Assert.True(next.Decision());
    }

    [Fact]
    public async Task SuspendAgent_KeepsTheRestOfTheAgent()
    {
        var agent = await _client.CreateInvokableAgentAsync("alice");

        await _client.SendAsync(HttpMethod.Post, $"{AdminApi.Prefix}/agents/{agent}/suspend");
        var read = await _client.FetchAsync(AdminApi.Directory("agents", agent));

        var body = read.Json.GetProperty("body");
        Assert.True(body.GetProperty("suspended").GetBoolean());
        Assert.Equal("erin", body.GetProperty("owner").GetString());
        Assert.Equal("alice", body.GetProperty("sponsors")[0].GetString());
        Assert.Equal("test", body.GetProperty("tags")[0].GetString());
    }

    [Theory]
    [InlineData("suspend")]
    [InlineData("resume")]
    public async Task SuspendOrResume_UnknownAgent_404(string action)
    {
        var reply = await _client.SendAsync(HttpMethod.Post, $"{AdminApi.Prefix}/agents/{AdminApi.NewId("missing")}/{action}");

        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }
}
