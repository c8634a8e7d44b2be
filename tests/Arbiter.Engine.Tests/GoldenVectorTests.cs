using System.Text.Json;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Engine.Tests;

/// <summary>
/// Golden decision vectors: a tenant (policies + directory), requests in AuthZEN shape, and the expected decision
/// and explanation. Every file in Vectors/ is loaded by this one fixture; each case is a theory row.
/// </summary>
public sealed class GoldenVectorTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in System.IO.Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Vectors"), "*.vectors.json").Order())
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
                data.Add(Path.GetFileName(file), c.GetProperty("name").GetString()!);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_GoldenVector_MatchesExpectedDecisionAndExplanation(string file, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", file)));
        var root = doc.RootElement;
        var vector = root.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var now = DateTimeOffset.Parse(vector.TryGetProperty("now", out var n) ? n.GetString()! : root.GetProperty("now").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var snapshot = LoadTenant(root, new FakeTimeProvider(now));

        var request = RequestReader.Read(vector.GetProperty("request"), default, out var problem);
        Assert.Null(problem);
        var decision = snapshot.Evaluate(request!);

        Assert.True(vector.GetProperty("decision").GetBoolean() == decision.Allowed,
            $"expected {(decision.Allowed ? "deny" : "permit")}; got {decision.ReasonAdmin}");
        Assert.Equal(32, decision.DecisionId.Length);
        Assert.Equal(snapshot.Version, decision.SnapshotVersion);
        if (vector.TryGetProperty("reason", out var reason))
            Assert.Contains(reason.GetString()!, decision.ReasonAdmin, StringComparison.Ordinal);
        if (vector.TryGetProperty("userReason", out var userReason))
            Assert.Equal(userReason.GetString(), decision.ReasonUser);
        if (vector.TryGetProperty("mode", out var mode))
            Assert.Equal(mode.GetString(), decision.Mode);
        if (vector.TryGetProperty("matched", out var matched))
            Assert.Equal(matched.EnumerateArray().Select(m => m.GetString()!).Order(), decision.MatchedPolicies.Order());
        if (vector.TryGetProperty("legs", out var legs))
        {
            foreach (var leg in legs.EnumerateObject())
                Assert.True(leg.Value.GetBoolean() == decision.Legs.Single(l => l.Name == leg.Name).Satisfied, $"leg {leg.Name}: {decision.ReasonAdmin}");
        }
        if (vector.TryGetProperty("obligations", out var obligations))
            Assert.Equal(obligations.EnumerateArray().Select(o => o.GetString()!).Order(), decision.Obligations.Select(o => o.Id).Order());
        if (vector.TryGetProperty("redactFields", out var fields))
            Assert.Equal(fields.EnumerateArray().Select(o => o.GetString()!), Strings(decision.Obligations.Single(o => o.Type == "redact").Properties, "fields"));
        if (vector.TryGetProperty("redactClassifications", out var classes))
            Assert.Equal(classes.EnumerateArray().Select(o => o.GetString()!), Strings(decision.Obligations.Single(o => o.Type == "redact").Properties, "classifications"));
        if (vector.TryGetProperty("shadowWouldChange", out var shadow))
            Assert.Equal(shadow.GetBoolean(), decision.Shadow?.WouldChange ?? false);
        if (!decision.Allowed)
            Assert.Empty(decision.Obligations);
    }

    [Fact]
    public void DemoTenant_EveryDocument_IsValid()
    {
        var problems = new List<Problem>();
        var changes = TenantFile.Read(JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Root, "infra", "seed", "demo-tenant.json"))).RootElement, problems);
        var state = TenantState.Empty.Apply(changes);
        Assert.Empty(problems);
        Assert.Empty(state.Rejected);
        Assert.Equal(changes.Count(c => c.Kind == SourceKinds.Policy), state.Policies.Count);
    }

    internal static PolicySnapshot LoadTenant(JsonElement vectorFile, TimeProvider time)
    {
        var path = Path.Combine(Repo.Root, vectorFile.GetProperty("tenant").GetString()!);
        using var tenant = JsonDocument.Parse(File.ReadAllText(path));
        var problems = new List<Problem>();
        var state = TenantState.Empty.Apply(TenantFile.Read(tenant.RootElement, problems));
        Assert.Empty(problems);
        return PolicySnapshot.Build("t1", state, 7, time);
    }

    private static IEnumerable<string> Strings(JsonElement element, string name) =>
        element.GetProperty(name).EnumerateArray().Select(e => e.GetString()!);
}
