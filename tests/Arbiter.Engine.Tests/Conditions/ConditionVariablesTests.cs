using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Engine.Tests.Conditions;

/// <summary>
/// The variables a policy condition sees in a decision (README "Conditions"), and how a condition that fails denies:
/// each case is the user's entitlement with one condition, on a tool call through an agent.
/// </summary>
public sealed class ConditionVariablesTests
{
    // Sunday 29 November 2026, 12:00 UTC.
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    private static PolicySnapshot Tenant(string condition, string effect = "permit", string? extraPolicy = null)
    {
        var entitlement = new JsonObject
        {
            ["id"] = "ent",
            ["effect"] = "permit",
            ["actions"] = new JsonArray("tools/call"),
            ["subjects"] = new JsonObject { ["users"] = new JsonArray("u1") },
        };
        var conditioned = effect == "permit" ? entitlement : new JsonObject
        {
            ["id"] = "cond-forbid",
            ["effect"] = "forbid",
            ["actions"] = new JsonArray("tools/call"),
            ["subjects"] = new JsonObject { ["users"] = new JsonArray("u1") },
        };
        conditioned["condition"] = condition;
        var documents = new List<(string Kind, string Json)>
        {
            ("user", """{"id":"u1","enabled":true,"attributes":{"department":"HR","level":7,"regions":["EU","US"]}}"""),
            ("group", """{"id":"g1","memberUsers":["u1"]}"""),
            ("group", """{"id":"g0","memberGroups":["g1"]}"""),
            ("agent", """{"id":"a1","enabled":true,"owner":"u1","sponsors":["u2"],"tags":["assistant","hr"],"blueprintId":"bp1","attributes":{"vendor":"contoso"}}"""),
            ("mcpServer", """{"id":"s1","sensitivity":"internal"}"""),
            ("tool", """{"id":"t1","server":"s1","sensitivity":"confidential","tags":["pii"],"attributes":{"team":"people"}}"""),
            ("policy", """{"id":"inv","effect":"permit","actions":["agent.invoke"],"subjects":{"users":["u1"]},"agents":{"ids":["a1"]}}"""),
            ("policy", """{"id":"grant","effect":"permit","actions":["tools/call"],"agents":{"ids":["a1"]},"resources":{"ids":["t1"]}}"""),
            ("policy", conditioned.ToJsonString()),
        };
        if (effect != "permit")
            documents.Add(("policy", entitlement.ToJsonString()));
        if (extraPolicy is not null)
            documents.Add(("policy", extraPolicy));
        var changes = documents.Select(d =>
        {
            var body = JsonNode.Parse(d.Json)!.AsObject();
            return new SourceChange(d.Kind, (string)body["id"]!, JsonSerializer.SerializeToElement(body));
        });
        return PolicySnapshot.Build("t", TenantState.Empty.Apply(changes), 1, Clock);
    }

    private static Decision Decide(PolicySnapshot snapshot, string context = """{"amount": 250, "purpose": "review"}""")
    {
        // The acting agent goes into the context beside what the case puts there.
        var contextWithAgent = context.TrimEnd().TrimEnd('}') + (context.Contains(':', StringComparison.Ordinal) ? ", " : "") + "\"agent\": {\"type\": \"agent\", \"id\": \"a1\"}}";
        var request = JsonDocument.Parse("""
            {"subject": {"type": "user", "id": "u1", "properties": {"device": "managed"}},
             "action": {"name": "tools/call", "properties": {"arguments": {"employee": "e42", "fields": ["name", "email"]}}},
             "resource": {"type": "tool", "id": "t1", "properties": {"owner": "u1", "rows": 12}},
             "context": 
            """ + contextWithAgent + "}").RootElement;
        var parsed = RequestReader.Read(request, default, out var problem);
        Assert.Null(problem);
        return snapshot.Evaluate(parsed!, explain: true);
    }

    [Theory]
    [InlineData("subject.id == 'u1' && subject.type == 'user' && subject.enabled")]
    [InlineData("subject.properties.device == 'managed'")]
    [InlineData("'g1' in subject.groups && 'g0' in subject.groups && subject.groups.size() == 2")]
    [InlineData("subject.attributes.department == 'HR' && subject.attributes.level >= 5 && 'EU' in subject.attributes.regions")]
    [InlineData("agent.id == 'a1' && agent.type == 'agent' && agent.owner == subject.id && 'u2' in agent.sponsors")]
    [InlineData("'hr' in agent.tags && agent.blueprintId == 'bp1' && agent.source == 'arbiter' && agent.enabled && !agent.suspended")]
    [InlineData("agent.attributes.vendor == 'contoso'")]
    [InlineData("resource.id == 't1' && resource.type == 'tool' && resource.server == 's1'")]
    [InlineData("resource.sensitivity == 'confidential' && resource.level == 2 && 'pii' in resource.tags && resource.attributes.team == 'people'")]
    [InlineData("resource.properties.owner == subject.id && context.amount < 10000")]
    [InlineData("action.name == 'tools/call' && action.properties.arguments.employee.startsWith('e') && !('salary' in action.properties.arguments.fields)")]
    [InlineData("context.purpose in ['review', 'audit'] && context.agent.id == agent.id")]
    [InlineData("now == timestamp('2026-11-29T12:00:00Z') && now.getDayOfWeek() == 0 && now.getHours() == 12")]
    [InlineData("now.getHours('Europe/Paris') == 13 && now - duration('24h') > timestamp('2026-11-28T00:00:00Z')")]
    [InlineData("has(subject.attributes.department) && !has(subject.attributes.manager) && has(context.amount) && has(agent.owner)")]
    [InlineData("subject['id'] == 'u1' && 'groups' in subject")]
    public void Evaluate_ConditionOverTheVariables_Permits(string condition)
    {
        var decision = Decide(Tenant(condition));

        Assert.True(decision.Allowed, decision.ReasonAdmin);
    }

    [Theory]
    [InlineData("context.limit < 10", "no such key: 'limit'")]
    [InlineData("context.purpose < 10", "no matching overload for '<' applied to (string, int)")]
    [InlineData("context.amount.startsWith('2')", "no matching overload for 'startsWith' applied to (int, string)")]
    [InlineData("subject.attributes.manager == 'x'", "no such key: 'manager'")]
    [InlineData("context.amount / 0 == 1", "division by zero")]
    public void Evaluate_ConditionFailingOnRequestData_DeniesWithTheReasonInCelTerms(string condition, string reason)
    {
        var decision = Decide(Tenant(condition));

        Assert.False(decision.Allowed);
        Assert.Contains($"condition of policy 'ent' failed: {reason}", decision.ReasonAdmin, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", decision.ReasonAdmin, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ForbidWhoseConditionFails_Matches()
    {
        var decision = Decide(Tenant("context.limit > 10", effect: "forbid"));

        Assert.False(decision.Allowed);
        Assert.Contains("cond-forbid", decision.MatchedPolicies);
    }

    [Fact]
    public void Evaluate_CubicConditionOverACallerList_DeniesWithTheBudgetReason()
    {
        var items = string.Join(",", Enumerable.Range(0, 200));
        var snapshot = Tenant("context.items.all(x, context.items.all(y, context.items.all(z, x + y + z >= 0)))");

        var decision = Decide(snapshot, $$"""{"items": [{{items}}]}""");

        Assert.False(decision.Allowed);
        Assert.Contains("condition of policy 'ent' failed: condition exceeded its evaluation budget", decision.ReasonAdmin, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_CatastrophicRegexOverCallerInput_AnswersWithinTheBudget()
    {
        var snapshot = Tenant("!context.name.matches('^(a+)+$')");

        var decision = Decide(snapshot, $$"""{"name": "{{new string('a', 26)}}b"}""");

        Assert.True(decision.Allowed, decision.ReasonAdmin);
    }

    [Fact]
    public void Evaluate_StoredForbidWhoseConditionNoLongerCompiles_FailsClosedWithTheReason()
    {
        // Written when directory attributes were flattened onto subject; stored policies are loaded, not refused,
        // so the forbid still stands (a dropped forbid would be a permit).
        var decision = Decide(Tenant("subject.department == 'HR'", effect: "forbid"));

        Assert.False(decision.Allowed);
        Assert.Contains("cond-forbid", decision.MatchedPolicies);
        Assert.Contains("policy 'cond-forbid' has a condition that does not compile (undefined field 'department' of 'subject'", decision.ReasonAdmin, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_AgentOnlyGrantCondition_SeesTheAgentAsSubject()
    {
        var snapshot = Tenant("true", extraPolicy: """{"id":"auto","effect":"permit","actions":["tools/call"],"modes":["agentOnly"],"agents":{"ids":["a1"]},"condition":"subject.type == 'agent' && subject.id == 'a1' && subject.groups.size() == 0 && agent.id == 'a1'"}""");

        var decision = snapshot.Evaluate(new DecisionRequest(new Entity("agent", "a1"), "tools/call", new Entity("tool", "t1")), explain: true);

        Assert.True(decision.Allowed, decision.ReasonAdmin);
    }

    [Theory]
    [InlineData("user.id == 'x'", "undeclared reference to 'user' (line 1, column 1)")]
    [InlineData("\"abc\"", "a condition must be a bool, but this one is string (line 1, column 1)")]
    [InlineData("subject.department == 'HR'", "undefined field 'department' of 'subject' (it has id, type, properties, groups, enabled, attributes) (line 1, column 8)")]
    [InlineData("resource.level == 'high'", "no matching overload for '==' applied to (int, string) (line 1, column 16)")]
    [InlineData("now.hourUtc < 18", "type 'google.protobuf.Timestamp' does not support field selection (line 1, column 4)")]
    [InlineData("now < '2026-01-01'", "no matching overload for '<' applied to (google.protobuf.Timestamp, string) (line 1, column 5)")]
    public void Parse_ConditionWrongWhateverTheRequest_IsRefusedAtCondition(string condition, string message)
    {
        var result = PolicyParser.Parse(JsonSerializer.SerializeToElement(new JsonObject
        {
            ["id"] = "p",
            ["effect"] = "permit",
            ["actions"] = new JsonArray("tools/call"),
            ["subjects"] = new JsonObject { ["users"] = new JsonArray("u1") },
            ["condition"] = condition,
        }));

        var problem = Assert.Single(result.Problems);
        Assert.Equal("/condition", problem.Path);
        Assert.Equal("condition does not compile as CEL: " + message, problem.Message);
    }

    [Theory]
    [InlineData(1300, "(", ")")]
    [InlineData(50_000, "resource.properties", ".a")]
    [InlineData(40_000, "1", " + 1")]
    public void Parse_ConditionsThatCrashedTheServer_AreRefusedAtCondition(int count, string start, string repeated)
    {
        var condition = repeated == ")"
            ? new string('(', count) + "true" + new string(')', count)
            : start + string.Concat(Enumerable.Repeat(repeated, count)) + " == 1";

        var result = PolicyParser.Parse(JsonSerializer.SerializeToElement(new JsonObject
        {
            ["id"] = "p",
            ["effect"] = "forbid",
            ["actions"] = new JsonArray("tools/call"),
            ["subjects"] = new JsonObject { ["anyAuthenticated"] = true },
            ["condition"] = condition,
        }));

        var problem = Assert.Single(result.Problems);
        Assert.Equal("/condition", problem.Path);
        Assert.StartsWith("condition does not compile as CEL: the condition ", problem.Message);
    }

    [Fact]
    public void DemoTenant_EveryCondition_Compiles()
    {
        using var tenant = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Root, "infra", "seed", "demo-tenant.json")));
        var conditions = tenant.RootElement.GetProperty("policies").EnumerateArray()
            .Where(p => p.TryGetProperty("condition", out _))
            .Select(p => p.GetProperty("condition").GetString()!)
            .ToList();

        Assert.NotEmpty(conditions);
        Assert.All(conditions, c => Assert.Null(ConditionCompiler.TryCompile(c, out _)));
    }
}
