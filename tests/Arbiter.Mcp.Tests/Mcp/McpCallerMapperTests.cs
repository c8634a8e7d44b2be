using System.Security.Claims;

namespace Arbiter.Mcp.Tests.Mcp;

public sealed class McpCallerMapperTests
{
    private static ClaimsPrincipal Token(params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), authenticationType: "Bearer"));

    [Fact]
    public void Map_DelegatedToken_PrincipalContextWithUserAndAgent()
    {
        var (caller, refusal) = McpCallerMapper.Map(Token(("oid", "alice"), ("azp", "hr-assistant"), ("scp", "mcp.tools")), new CallerMappingOptions());

        Assert.Null(refusal);
        Assert.Equal(("user", "alice"), (caller!.Subject.Type, caller.Subject.Id));
        Assert.False(caller.AgentOnly);
        Assert.Equal("hr-assistant", (string?)caller.Context("agent")["agent"]!["id"]);
    }

    [Fact]
    public void Map_AppOnlyToken_AgentIsTheSubject()
    {
        var (caller, _) = McpCallerMapper.Map(Token(("oid", "sp-object-id"), ("appid", "recon-agent"), ("idtyp", "app")), new CallerMappingOptions());

        Assert.Equal(("agent", "recon-agent"), (caller!.Subject.Type, caller.Subject.Id));
        Assert.True(caller.AgentOnly);
        Assert.Empty(caller.Context("agent"));
    }

    [Fact]
    public void Map_ClientIdListed_TranslatedToAgentId()
    {
        var options = new CallerMappingOptions();
        options.AgentIds["6f1c0a3e-0000-4000-8000-000000000001"] = "hr-assistant";

        var (caller, _) = McpCallerMapper.Map(Token(("oid", "alice"), ("azp", "6F1C0A3E-0000-4000-8000-000000000001")), options);

        Assert.Equal("hr-assistant", caller!.AgentId);
    }

    [Theory]
    [InlineData("oid", "alice")]
    [InlineData("azp", "hr-assistant")]
    public void Map_MissingAgentOrUser_Refused(string type, string value)
    {
        var (caller, refusal) = McpCallerMapper.Map(Token((type, value)), new CallerMappingOptions());

        Assert.Null(caller);
        Assert.NotNull(refusal);
    }

    [Fact]
    public void Map_Unauthenticated_Refused()
    {
        var (caller, refusal) = McpCallerMapper.Map(new ClaimsPrincipal(new ClaimsIdentity()), new CallerMappingOptions());

        Assert.Null(caller);
        Assert.Contains("no authenticated token", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_MarkerRequiredButAbsent_Refused()
    {
        var options = new CallerMappingOptions { RequireAgentIdentityMarker = true };

        var (without, refusal) = McpCallerMapper.Map(Token(("oid", "alice"), ("azp", "hr-assistant")), options);
        var (with, _) = McpCallerMapper.Map(Token(("oid", "alice"), ("azp", "hr-assistant"), ("xms_act_fct", "11")), options);

        Assert.Null(without);
        Assert.NotNull(refusal);
        Assert.NotNull(with);
    }
}
