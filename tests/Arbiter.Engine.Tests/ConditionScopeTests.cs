using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Engine.Tests;

/// <summary>
/// What a condition sees on each leg, and explanations that are worked out after the answer: the same facts whatever
/// ran before on the same decision, and never the request's JSON after the caller may have freed it.
/// </summary>
public sealed class ConditionScopeTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    private static PolicySnapshot Tenant(string department, params string[] policies)
    {
        var documents = new List<(string Kind, string Json)>
        {
            ("user", $$$"""{"id":"u1","enabled":true,"attributes":{"department":"{{{department}}}"}}"""),
            ("user", """{"id":"u2","enabled":true}"""),
            ("agent", """{"id":"a1","enabled":true,"owner":"u1","tags":["tag0"]}"""),
            ("mcpServer", """{"id":"s1","sensitivity":"public"}"""),
            ("tool", """{"id":"t1","server":"s1","sensitivity":"public"}"""),
        };
        documents.AddRange(policies.Select(p => ("policy", p)));
        var changes = documents.Select(d =>
        {
            var body = JsonNode.Parse(d.Json)!.AsObject();
            return new SourceChange(d.Kind, (string)body["id"]!, JsonSerializer.SerializeToElement(body));
        });
        return PolicySnapshot.Build("t", TenantState.Empty.Apply(changes), 1, Clock);
    }

    private const string GrantA1 = """{"id":"grant","effect":"permit","actions":["tools/call"],"agents":{"ids":["a1"]},"resources":{"ids":["t1"]}}""";
    private const string EntitleU1 = """{"id":"ent","effect":"permit","actions":["tools/call"],"subjects":{"users":["u1"]}}""";

    private static DecisionRequest ToolCall(string user = "u1", JsonElement context = default) =>
        new(new Entity("user", user), "tools/call", new Entity("tool", "t1"), "a1", context);

    [Fact]
    public void Evaluate_InvokeCondition_SeesTheAgentForDirectInvokesAndToolCallsAlike()
    {
        var snapshot = Tenant("HR",
            """{"id":"inv","effect":"permit","actions":["agent.invoke"],"subjects":{"users":["u1"]},"agents":{"ids":["a1"]},"condition":"resource.type == 'agent' && resource.id == 'a1'"}""",
            GrantA1, EntitleU1);

        Assert.True(snapshot.Evaluate(new DecisionRequest(new Entity("user", "u1"), "agent.invoke", new Entity("agent", "a1"))).Allowed);
        Assert.True(snapshot.Evaluate(ToolCall()).Allowed);
    }

    [Fact]
    public void Evaluate_EntitlementCondition_SeesTheToolAfterAnInvokeConditionRan()
    {
        var snapshot = Tenant("HR",
            """{"id":"inv","effect":"permit","actions":["agent.invoke"],"subjects":{"users":["u1"]},"agents":{"ids":["a1"]},"condition":"subject.attributes.department == 'HR'"}""",
            GrantA1,
            """{"id":"ent","effect":"permit","actions":["tools/call"],"subjects":{"users":["u1"]},"condition":"resource.type == 'tool' && resource.level <= 1"}""");

        var decision = snapshot.Evaluate(ToolCall());

        Assert.True(decision.Allowed, decision.ReasonAdmin);
        Assert.Equal(["inv", "grant", "ent"], decision.MatchedPolicies);
    }

    [Theory]
    [InlineData("HR", true)]
    [InlineData("Sales", false)]
    public void Evaluate_OwnerForbidCondition_SeesTheOwnerAfterAGrantConditionRan(string ownerDepartment, bool allowed)
    {
        var snapshot = Tenant(ownerDepartment,
            """{"id":"grant","effect":"permit","actions":["tools/call"],"modes":["agentOnly"],"agents":{"any":true},"condition":"'tag0' in agent.tags"}""",
            """{"id":"ownerForbid","effect":"forbid","actions":["tools/call"],"modes":["agentOnly"],"subjects":{"users":["u1"]},"condition":"subject.attributes.department == 'Sales'"}""");

        var decision = snapshot.Evaluate(new DecisionRequest(new Entity("agent", "a1"), "tools/call", new Entity("tool", "t1")));

        Assert.Equal(allowed, decision.Allowed);
        Assert.DoesNotContain("failed", decision.ReasonAdmin, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_DenyExplainedAfterTheRequestJsonIsFreed_StillExplainsWhatWasDecided()
    {
        // u2 may not invoke a1 (the first leg fails); a forbid on the last leg reads the request's context.
        var snapshot = Tenant("HR", GrantA1,
            """{"id":"bulk","effect":"forbid","actions":["tools/call"],"subjects":{"users":["u2"]},"condition":"has(context.bulk) && context.bulk == true"}""");
        Decision decision;
        using (var context = JsonDocument.Parse("""{"bulk":false}"""))
        {
            decision = snapshot.Evaluate(ToolCall("u2", context.RootElement));
        }

        Assert.False(decision.Allowed);
        Assert.Equal("deny: user 'u2' may not invoke agent 'a1'", decision.ReasonAdmin);
        Assert.DoesNotContain("bulk", decision.MatchedPolicies);
    }

    [Fact]
    public void Evaluate_ExplainNowOrLater_GivesTheSameExplanation()
    {
        var snapshot = Tenant("HR", GrantA1,
            """{"id":"never","effect":"forbid","actions":["tools/call"],"subjects":{"users":["u2"]},"resources":{"ids":["t1"]}}""");
        var request = ToolCall("u2");

        var later = snapshot.Evaluate(request);
        var now = snapshot.Evaluate(request, explain: true);

        Assert.False(later.Allowed);
        Assert.Equal(now.ReasonAdmin, later.ReasonAdmin);
        Assert.Equal(now.ReasonUser, later.ReasonUser);
        Assert.Equal(now.MatchedPolicies, later.MatchedPolicies);
        Assert.Equal(now.Legs.Select(l => (l.Name, l.Satisfied, string.Join(",", l.Permits), string.Join(",", l.Forbids))),
            later.Legs.Select(l => (l.Name, l.Satisfied, string.Join(",", l.Permits), string.Join(",", l.Forbids))));
        Assert.Contains("forbidden by policy 'never'", now.ReasonAdmin, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_TwoForbidsOnOneLeg_OneSentenceNamingBoth()
    {
        var snapshot = Tenant("HR", GrantA1,
            """{"id":"never","effect":"forbid","actions":["tools/call"],"subjects":{"users":["u2"]},"resources":{"ids":["t1"]}}""",
            """{"id":"not-ever","effect":"forbid","actions":["tools/call"],"subjects":{"users":["u2"]}}""");

        var decision = snapshot.Evaluate(ToolCall("u2"));

        Assert.Equal(ReasonForm.Text, decision.ReasonForm);
        // The policies in the order they matched (which follows string hashing, so from process to process either).
        Assert.Contains(decision.ReasonAdmin, new[]
        {
            "deny: forbidden by policy 'never', policy 'not-ever' (user-entitlement)",
            "deny: forbidden by policy 'not-ever', policy 'never' (user-entitlement)",
        });
    }

    [Fact]
    public void Evaluate_ResourceWithoutId_DeniesWithAReasonNotAnError()
    {
        var snapshot = Tenant("HR", GrantA1, EntitleU1);

        var decision = snapshot.Evaluate(new DecisionRequest(new Entity("user", "u1"), "tools/list", new Entity("weird", null!), "a1"));

        Assert.False(decision.Allowed);
        Assert.Equal("deny: resource weird has no id", decision.ReasonAdmin);
        Assert.Equal(PolicySnapshot.UserReasons.Denied, decision.ReasonUser);
    }
}
