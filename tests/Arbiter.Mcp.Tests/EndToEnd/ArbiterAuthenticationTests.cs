using Arbiter.Mcp.Tests.Infrastructure;
using ModelContextProtocol;

namespace Arbiter.Mcp.Tests.EndToEnd;

/// <summary>
/// Arbiter requiring tokens (Entra ID mode, the development issuer on loopback as authority): the HR server's
/// Arbiter.Client gets its token from the registered <c>TokenCredential</c> for <c>Arbiter:Client:Scope</c>.
/// </summary>
public sealed class ArbiterAuthenticationTests
{
    [Fact]
    public async Task Demo_ArbiterRequiresTokens_ClientAuthenticatesWithItsCredential()
    {
        await using var demo = await DemoEnvironment.StartAsync(serverRoles: ["Decisions.Evaluate"]);
        var alice = await demo.ConnectAsync("alice", "hr-assistant");
        var bob = await demo.ConnectAsync("bob", "general-assistant");

        var tools = await alice.ListToolsAsync();
        var sql = await Assert.ThrowsAsync<McpProtocolException>(() => bob.CallToolAsync("sql-query", new Dictionary<string, object?> { ["sql"] = "SELECT 1" }).AsTask());
        await demo.SetSuspendedAsync("hr-assistant", suspended: true);
        var suspended = await Assert.ThrowsAsync<McpProtocolException>(() => alice.CallToolAsync("docs-search", new Dictionary<string, object?> { ["query"] = "x" }).AsTask());

        Assert.Equal(["docs-search", "hr-lookup", "hr-policies"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(-32003, (int)sql.ErrorCode);
        Assert.Equal(-32003, (int)suspended.ErrorCode);
    }

    [Fact]
    public async Task CallTool_CredentialLacksEvaluateRole_FailsClosedWithInternalError()
    {
        await using var demo = await DemoEnvironment.StartAsync(serverRoles: []);
        var alice = await demo.ConnectAsync("alice", "hr-assistant");

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => alice.CallToolAsync("docs-search", new Dictionary<string, object?> { ["query"] = "x" }).AsTask());

        Assert.Equal(McpErrorCode.InternalError, error.ErrorCode);
        Assert.Empty(demo.Decisions.Records);
    }
}
