using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Engine.Tests;

/// <summary>Properties that must hold for any tenant, checked over seeded random tenants.</summary>
public sealed class SnapshotPropertyTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    /// <summary>A random small tenant: users in groups (some nested), agents, tools, and random policies of every shape.</summary>
    private static (List<SourceChange> Changes, List<DecisionRequest> Requests) RandomTenant(int seed)
    {
        var rng = new Random(seed);
        var changes = new List<SourceChange>();
        string Pick(string prefix, int n) => prefix + rng.Next(n);
        string[] Some(string prefix, int n) => [.. Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => Pick(prefix, n)).Distinct()];
        JsonArray Arr(IEnumerable<string> xs) => [.. xs.Select(x => (JsonNode)JsonValue.Create(x))];
        void Add(string kind, string id, JsonObject body) { body["id"] = id; changes.Add(new(kind, id, JsonSerializer.SerializeToElement(body))); }
        var levels = new[] { "public", "internal", "confidential", "restricted" };

        for (var u = 0; u < 40; u++)
            Add("user", "u" + u, new JsonObject { ["enabled"] = rng.Next(10) > 0, ["attributes"] = new JsonObject { ["department"] = rng.Next(2) == 0 ? "HR" : "Sales" } });
        for (var g = 0; g < 10; g++)
            Add("group", "g" + g, new JsonObject { ["memberUsers"] = Arr(Some("u", 40).Concat(Some("u", 40))), ["memberGroups"] = g < 3 ? Arr(Some("g", 10)) : [] });
        for (var a = 0; a < 8; a++)
            Add("agent", "a" + a, new JsonObject { ["enabled"] = true, ["suspended"] = rng.Next(8) == 0, ["owner"] = Pick("u", 40), ["tags"] = Arr(Some("tag", 3)) });
        for (var s = 0; s < 3; s++)
            Add("mcpServer", "s" + s, new JsonObject { ["sensitivity"] = "public" });
        for (var t = 0; t < 20; t++)
            Add("tool", "t" + t, new JsonObject { ["server"] = Pick("s", 3), ["sensitivity"] = levels[rng.Next(4)], ["tags"] = Arr(Some("tt", 3)) });

        for (var p = 0; p < 60; p++)
        {
            var policy = new JsonObject { ["effect"] = rng.Next(5) == 0 ? "forbid" : "permit" };
            switch (rng.Next(3))
            {
                case 0:
                    policy["actions"] = Arr(["agent.invoke"]);
                    policy["subjects"] = new JsonObject { ["groups"] = Arr(Some("g", 10)) };
                    policy["agents"] = rng.Next(2) == 0 ? new JsonObject { ["ids"] = Arr(Some("a", 8)) } : new JsonObject { ["tags"] = Arr(Some("tag", 3)) };
                    break;
                case 1:
                    policy["actions"] = Arr(["tools/call"]);
                    policy["agents"] = new JsonObject { ["ids"] = Arr(Some("a", 8)) };
                    policy["modes"] = Arr(rng.Next(3) switch { 0 => ["principal"], 1 => ["agentOnly"], _ => ["principal", "agentOnly"] });
                    policy["resources"] = rng.Next(2) == 0 ? new JsonObject { ["servers"] = Arr(Some("s", 3)) } : new JsonObject { ["ids"] = Arr(Some("t", 20)) };
                    break;
                default:
                    policy["actions"] = Arr(["tools/call"]);
                    policy["subjects"] = rng.Next(6) == 0 ? new JsonObject { ["anyAuthenticated"] = true } : new JsonObject { ["groups"] = Arr(Some("g", 10)), ["users"] = Arr(Some("u", 40)) };
                    policy["resources"] = new JsonObject { ["maxSensitivity"] = levels[rng.Next(4)] };
                    if (policy["effect"]!.GetValue<string>() == "forbid")
                        policy["modes"] = Arr(["principal", "agentOnly"]);
                    if (rng.Next(5) == 0)
                        policy["condition"] = "subject.attributes.department == 'HR'";
                    break;
            }
            Add("policy", "p" + p, policy);
        }

        var requests = new List<DecisionRequest>();
        for (var i = 0; i < 400; i++)
        {
            var tool = new Entity("tool", Pick("t", 20));
            requests.Add(rng.Next(4) == 0
                ? new DecisionRequest(new Entity("agent", Pick("a", 8)), "tools/call", tool)
                : new DecisionRequest(new Entity("user", Pick("u", 40)), "tools/call", tool, Pick("a", 8)));
        }
        return (changes, requests);
    }

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 25)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Evaluate_RandomTenant_PermitNeedsEveryLegAndNoForbid(int seed)
    {
        var (changes, requests) = RandomTenant(seed);
        var snapshot = PolicySnapshot.Build("t", TenantState.Empty.Apply(changes), 1, Clock);
        Assert.Empty(snapshot.State.Rejected);
        foreach (var request in requests)
        {
            var d = snapshot.Evaluate(request);
            Assert.Equal(d.Allowed, d.Legs.Count > 0 && d.Legs.All(l => l.Satisfied));
            if (d.Allowed)
            {
                Assert.All(d.Legs, l => Assert.Empty(l.Forbids));
                Assert.Equal(d.Mode == Decision.PrincipalMode ? 3 : d.Legs.Count, d.Legs.Count);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Evaluate_AddingMatchingForbid_TurnsEveryPermitIntoDeny(int seed)
    {
        var (changes, requests) = RandomTenant(seed);
        var snapshot = PolicySnapshot.Build("t", TenantState.Empty.Apply(changes), 1, Clock);
        foreach (var request in requests.Where(r => snapshot.Evaluate(r).Allowed).Take(20))
        {
            var forbid = request.AgentId is null
                ? new JsonObject { ["id"] = "zz", ["effect"] = "forbid", ["actions"] = new JsonArray("tools/call"), ["modes"] = new JsonArray("agentOnly"), ["agents"] = new JsonObject { ["ids"] = new JsonArray(request.Subject.Id) }, ["resources"] = new JsonObject { ["ids"] = new JsonArray(request.Resource.Id) } }
                : new JsonObject { ["id"] = "zz", ["effect"] = "forbid", ["actions"] = new JsonArray("tools/call"), ["subjects"] = new JsonObject { ["users"] = new JsonArray(request.Subject.Id) }, ["resources"] = new JsonObject { ["ids"] = new JsonArray(request.Resource.Id) } };
            var withForbid = snapshot.Apply([new SourceChange("policy", "zz", JsonSerializer.SerializeToElement(forbid))], 2);
            var d = withForbid.Evaluate(request);
            Assert.False(d.Allowed);
            Assert.Contains("zz", d.ReasonAdmin, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Version_SameDocumentsAnyOrderOrPath_SameVersionAndAChangeMovesIt(int seed)
    {
        var (changes, _) = RandomTenant(seed);
        var rng = new Random(seed + 1000);
        var shuffled = changes.OrderBy(_ => rng.Next()).ToList();
        var policy = changes.First(c => c.Kind == "policy");
        var edited = new SourceChange(policy.Kind, policy.Id, JsonSerializer.SerializeToElement(new { id = policy.Id, effect = "forbid", actions = new[] { "tools/call" }, agents = new { any = true } }));

        var inOrder = PolicySnapshot.Build("t", TenantState.Empty.Apply(changes), 1, Clock);
        var otherOrder = PolicySnapshot.Build("t", TenantState.Empty.Apply(shuffled), 7, Clock);
        var changed = inOrder.Apply([edited], 2);
        var changedBack = changed.Apply([policy], 3);
        var viaDelete = inOrder.Apply([new SourceChange(policy.Kind, policy.Id, null)], 2).Apply([policy], 3);

        Assert.Equal(inOrder.Version, otherOrder.Version);
        Assert.NotEqual(inOrder.Version, changed.Version);
        Assert.Equal(inOrder.Version, changedBack.Version);
        Assert.Equal(inOrder.Version, viaDelete.Version);
        Assert.NotEqual(PolicySnapshot.Empty("t", Clock).Version, inOrder.Version);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Apply_Incremental_DecidesLikeAFullBuild(int seed)
    {
        var (changes, requests) = RandomTenant(seed);
        var half = changes.Count / 2;
        var incremental = PolicySnapshot.Build("t", TenantState.Empty.Apply(changes.Take(half)), 1, Clock)
            .Apply(changes.Skip(half), 2)
            .Apply([new SourceChange("agent", "a1", null), new SourceChange("policy", "p3", null)], 3);
        var full = PolicySnapshot.Build("t", TenantState.Empty.Apply(changes.Where(c => !(c.Kind == "agent" && c.Id == "a1") && !(c.Kind == "policy" && c.Id == "p3"))), 3, Clock);
        foreach (var request in requests)
            Assert.Equal(full.Evaluate(request).Allowed, incremental.Evaluate(request).Allowed);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SearchResources_RandomTenant_EveryResultPermittedAndSampledNonResultsDenied(int seed)
    {
        var (changes, requests) = RandomTenant(seed);
        var snapshot = PolicySnapshot.Build("t", TenantState.Empty.Apply(changes), 1, Clock);
        foreach (var request in requests.Take(30))
        {
            var found = snapshot.SearchResources(request.Subject, request.AgentId, "tools/call", "tool");
            foreach (var tool in snapshot.State.Tools.Keys)
            {
                var allowed = snapshot.Evaluate(request with { Resource = new Entity("tool", tool) }).Allowed;
                Assert.Equal(found.Contains(tool), allowed);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Apply_AgentChangesOnly_DecidesLikeAFullBuild(int seed)
    {
        var (changes, requests) = RandomTenant(seed);
        var snapshot = PolicySnapshot.Build("t", TenantState.Empty.Apply(changes), 1, Clock);
        // Retag every agent (grants by tag now match other agents), remove one, add one: policies stay the same.
        var agentChanges = changes.Where(c => c.Kind == "agent").Select(c =>
        {
            var body = JsonNode.Parse(c.Body!.Value.GetRawText())!.AsObject();
            body["tags"] = new JsonArray("tag" + ((c.Id.GetHashCode(StringComparison.Ordinal) & 0x7fffffff) % 3));
            return new SourceChange("agent", c.Id, JsonSerializer.SerializeToElement(body));
        }).ToList();
        agentChanges.Add(new SourceChange("agent", "a2", null));
        agentChanges.Add(new SourceChange("agent", "a9", JsonSerializer.SerializeToElement(new JsonObject { ["id"] = "a9", ["enabled"] = true, ["tags"] = new JsonArray("tag1") })));

        var incremental = snapshot.Apply(agentChanges, 2);
        var full = PolicySnapshot.Build("t", TenantState.Empty.Apply(changes).Apply(agentChanges), 2, Clock);
        foreach (var request in requests.Concat(requests.Select(r => r.AgentId is null ? r with { Subject = new Entity("agent", "a9") } : r with { AgentId = "a9" })))
            Assert.Equal(full.Evaluate(request).Allowed, incremental.Evaluate(request).Allowed);
    }

    [Fact]
    public void Evaluate_SuspendingAgent_DeniesOnTheNextSnapshot()
    {
        var (changes, _, snapshot, permitted) = Enumerable.Range(1, 25)
            .Select(seed => RandomTenant(seed))
            .Select(t => (t.Changes, t.Requests, Snapshot: PolicySnapshot.Build("t", TenantState.Empty.Apply(t.Changes), 1, Clock)))
            .Select(t => (t.Changes, t.Requests, t.Snapshot, Permitted: t.Requests.FirstOrDefault(r => t.Snapshot.Evaluate(r).Allowed)))
            .First(t => t.Permitted is not null);
        var agentId = permitted!.AgentId ?? permitted.Subject.Id;
        var body = JsonNode.Parse(changes.Single(c => c.Kind == "agent" && c.Id == agentId).Body!.Value.GetRawText())!.AsObject();
        body["suspended"] = true;
        var next = snapshot.Apply([new SourceChange("agent", agentId, JsonSerializer.SerializeToElement(body))], 2);
        var d = next.Evaluate(permitted!);
        Assert.False(d.Allowed);
        Assert.Contains("suspended", d.ReasonAdmin, StringComparison.Ordinal);
        Assert.True(snapshot.Evaluate(permitted!).Allowed); // the old snapshot is immutable
    }

    [Fact]
    public void Evaluate_ConditionThatFails_FailsClosed()
    {
        var extra = new List<SourceChange>
        {
            new("mcpServer", "s0", JsonSerializer.SerializeToElement(JsonNode.Parse("""{"id":"s0"}"""))),
            new("tool", "t0", JsonSerializer.SerializeToElement(JsonNode.Parse("""{"id":"t0","server":"s0","sensitivity":"public"}"""))),
            new("user", "cx", JsonSerializer.SerializeToElement(new JsonObject { ["id"] = "cx", ["enabled"] = true })),
            new("policy", "inv", JsonSerializer.SerializeToElement(JsonNode.Parse("""{"id":"inv","effect":"permit","actions":["agent.invoke"],"subjects":{"users":["cx"]},"agents":{"ids":["a0"]}}"""))),
            new("policy", "grant", JsonSerializer.SerializeToElement(JsonNode.Parse("""{"id":"grant","effect":"permit","actions":["tools/call"],"agents":{"ids":["a0"]},"resources":{"ids":["t0"]}}"""))),
            new("policy", "cond", JsonSerializer.SerializeToElement(JsonNode.Parse("""{"id":"cond","effect":"permit","actions":["tools/call"],"subjects":{"users":["cx"]},"condition":"subject.attributes.nosuchattribute == 'x'"}"""))),
            new("agent", "a0", JsonSerializer.SerializeToElement(JsonNode.Parse("""{"id":"a0","enabled":true,"suspended":false}"""))),
        };
        var snapshot = PolicySnapshot.Build("t", TenantState.Empty.Apply(extra), 1, Clock);
        var d = snapshot.Evaluate(new DecisionRequest(new Entity("user", "cx"), "tools/call", new Entity("tool", "t0"), "a0"));
        Assert.False(d.Allowed);
        Assert.Contains("condition of policy 'cond' failed", d.ReasonAdmin, StringComparison.Ordinal);
    }
}
