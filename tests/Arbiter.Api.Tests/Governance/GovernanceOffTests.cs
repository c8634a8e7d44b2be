using System.Net;
using Arbiter.Api.Tests.Admin;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Governance;

/// <summary>Without a queue connection governance stays off: no routes, and the server says so once at start.</summary>
public sealed class GovernanceOffTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    [Theory]
    [InlineData("GET", GovernanceApi.Findings)]
    [InlineData("POST", GovernanceApi.DriftRun)]
    public async Task GovernanceRoute_NoQueueConnection_404(string method, string path)
    {
        var reply = await server.Client.SendAsync(new HttpMethod(method), path);

        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
    }

    [Fact]
    public async Task Start_NoQueueConnection_LogsOnceThatGovernanceIsOff()
    {
        var run = await ServerProcess.RunAsync();

        Assert.True(run.Listened, run.Output);
        Assert.Single(run.Output.Split('\n'), line => line.Contains("Governance is off", StringComparison.Ordinal));
        Assert.Contains("Governance:Queue", run.Output, StringComparison.Ordinal);
    }
}
