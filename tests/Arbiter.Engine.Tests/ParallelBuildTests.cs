using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Snapshots;
using Microsoft.Extensions.Time.Testing;

using static Arbiter.Engine.Tests.RandomTenantDocs;

namespace Arbiter.Engine.Tests;

/// <summary>
/// A tenant large enough to cross <see cref="ParallelBuild.Threshold"/> is read and built on all cores; the result must
/// be the one the sequential loop gives — the same state, version, rejected documents, tables (in the same order, with
/// the same arrays shared) and answers — and a document that cannot be read must fail the build as the loop fails it.
/// </summary>
public sealed class ParallelBuildTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero));
    private const int Users = 6000, Groups = 700, Agents = 20, Tools = 40;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Apply_BatchOverTheThreshold_GivesTheSequentialState(int seed)
    {
        var changes = Tenant(new Random(seed));
        Assert.True(ParallelBuild.Pays(changes.Count)); // the default path is the parallel one

        var sequential = TenantState.Empty.Apply(changes, parallel: false);
        var parallel = TenantState.Empty.Apply(changes, parallel: true);
        var byDefault = TenantState.Empty.Apply(changes);

        foreach (var state in new[] { parallel, byDefault })
        {
            Assert.Equal(sequential.Fingerprint, state.Fingerprint);
            Assert.Equal(Documents(sequential), Documents(state));
            Assert.Equal(Rejections(sequential), Rejections(state));
            // The settings document was read on both paths (neither the defaults nor the closed world).
            Assert.NotSame(TenantSettings.Default, state.Settings);
            Assert.NotSame(TenantSettings.Closed, state.Settings);
        }
        // The invalid documents wherever they sit, and the last version of a repeated document wins.
        Assert.Contains("user/u-bad-first", sequential.Rejected.Keys);
        Assert.Contains("policy/p-misnamed", sequential.Rejected.Keys);
        Assert.Contains("settings/other", sequential.Rejected.Keys);
        Assert.Contains("user/u-bad-last", sequential.Rejected.Keys);
        Assert.DoesNotContain("user/u1", sequential.Rejected.Keys);
        Assert.Contains("user/u2", sequential.Rejected.Keys);
        Assert.DoesNotContain("u3", sequential.Users.Keys);
        // A state read in parallel takes later changes as the sequential one does.
        var next = UserDoc(new Random(seed), "u5");
        Assert.Equal(sequential.Apply([next]).Fingerprint, parallel.Apply([next]).Fingerprint);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Build_TenantOverTheThreshold_GivesTheSequentialTables(int seed)
    {
        var state = TenantState.Empty.Apply(Tenant(new Random(seed)));
        var memberships = Memberships.Of(state);
        // Some named groups, some not: principals get ordinals for part of their closure (more than eight for the heavy users).
        var ordinals = Enumerable.Range(0, Groups + 4).Where(g => g % 3 != 1).Select((g, i) => (Id: "g" + g, Ordinal: i))
            .ToFrozenDictionary(g => g.Id, g => g.Ordinal, StringComparer.Ordinal);
        Assert.True(ParallelBuild.Pays(state.Users.Count + memberships.Ids.Count));

        var sequential = DirectoryTables.Build(state, Memberships.Of(state, parallel: false), ordinals, parallel: false);
        var parallel = DirectoryTables.Build(state, Memberships.Of(state, parallel: true), ordinals, parallel: true);

        Assert.Equal(Entries(sequential.DirectGroups), Entries(parallel.DirectGroups));
        Assert.Equal(Entries(sequential.Parents), Entries(parallel.Parents));
        Assert.Equal(Entries(sequential.Closure), Entries(parallel.Closure));
        Assert.Equal(Principals(sequential), Principals(parallel));
        Assert.Equal(Sharing(sequential), Sharing(parallel));
        Assert.Contains(sequential.Principals.Items, p => p.Value.GroupCount > 8);
        Assert.Contains(sequential.DirectGroups.Items, d => d.Value.Length > 64);
        Assert.Contains(sequential.Principals.Items, p => p.Value.Fact is null);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Of_MembershipsOverTheThreshold_NumberTheMembersAsTheLoop(int seed)
    {
        var state = TenantState.Empty.Apply(Tenant(new Random(seed)));

        var sequential = Memberships.Of(state, parallel: false);
        var parallel = Memberships.Of(state, parallel: true);

        Assert.True(ParallelBuild.Pays(sequential.Positions.Length));
        Assert.Equal(sequential.Ids, parallel.Ids);
        Assert.Equal(sequential.Starts, parallel.Starts);
        Assert.Equal(sequential.Positions, parallel.Positions);
        foreach (var id in sequential.Ids.Concat(["u-nobody", "g1"]))
        {
            Assert.Equal(sequential.TryGetMember(id, out var m), parallel.TryGetMember(id, out var n));
            Assert.Equal(m, n);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Build_TenantOverTheThreshold_DecidesAsTheSequentialSnapshot(int seed)
    {
        var rng = new Random(seed);
        var state = TenantState.Empty.Apply(Tenant(rng));
        var requests = Requests(rng, 400, Users + 50, Agents, Tools);

        var sequential = PolicySnapshot.Build("t", state, 1, Clock, previous: null, parallel: false);
        var parallel = PolicySnapshot.Build("t", state, 1, Clock, previous: null, parallel: true);
        var byDefault = PolicySnapshot.Build("t", state, 1, Clock);

        foreach (var snapshot in new[] { parallel, byDefault })
        {
            Assert.Equal(sequential.Version, snapshot.Version);
            for (var u = 0; u < Users + 50; u += 7)
                Assert.Equal(sequential.GroupsOf("u" + u), snapshot.GroupsOf("u" + u));
            Assert.Equal(requests.Select(r => Answer(sequential, r)), requests.Select(r => Answer(snapshot, r)));
        }
        Assert.Contains(requests, r => sequential.Evaluate(r).Allowed);
        Assert.Contains(requests, r => !sequential.Evaluate(r).Allowed);
    }

    [Theory]
    [InlineData(10, 5000)]
    [InlineData(5000, 10)]
    public void Apply_UnreadableDocumentsOverTheThreshold_ThrowTheFirstInOrderAsTheLoopDoes(int disposedAt, int undefinedAt)
    {
        // Two bodies no reader can read, each failing its own way: the first in order must be what the build throws.
        var changes = Tenant(new Random(3));
        using (var document = JsonDocument.Parse("""{"id":"u-disposed","enabled":true}"""))
            changes.Insert(disposedAt, new SourceChange("user", "u-disposed", document.RootElement));
        changes.Insert(undefinedAt, new SourceChange("user", "u-undefined", default(JsonElement)));
        var first = disposedAt < undefinedAt ? changes[disposedAt] : changes[undefinedAt];
        var second = disposedAt < undefinedAt ? changes[undefinedAt] : changes[disposedAt];
        var firstAlone = Record.Exception(() => TenantState.Empty.Apply([first]));
        var secondAlone = Record.Exception(() => TenantState.Empty.Apply([second]));
        Assert.NotNull(firstAlone);
        Assert.NotEqual(firstAlone.GetType(), secondAlone?.GetType());

        var sequential = Record.Exception(() => TenantState.Empty.Apply(changes, parallel: false));
        var parallel = Record.Exception(() => TenantState.Empty.Apply(changes, parallel: true));

        Assert.Equal(firstAlone.GetType(), sequential?.GetType());
        Assert.Equal(sequential!.GetType(), parallel?.GetType());
        Assert.Equal(sequential.Message, parallel!.Message);
        Assert.True(TenantState.Empty.Users.IsEmpty); // nothing was applied anywhere
    }

    [Fact]
    public void For_SeveralChunksThrow_ThrowsTheFirstChunksExceptionAsItIs()
    {
        // Chunks run in any order; what is thrown must not depend on which finished first, nor be wrapped.
        var thrown = Record.Exception(() => ParallelBuild.For(10 * 1024, (start, _) =>
        {
            if (start == 7 * 1024)
                throw new InvalidOperationException("late");
            if (start == 2 * 1024)
                throw new FormatException("early");
        }));

        var format = Assert.IsType<FormatException>(thrown);
        Assert.Equal("early", format.Message);
    }

    [Fact]
    public void For_EveryItem_IsVisitedOnce()
    {
        var visits = new int[5000];
        ParallelBuild.For(visits.Length, (start, end) =>
        {
            for (var i = start; i < end; i++)
                Interlocked.Increment(ref visits[i]);
        });

        Assert.All(visits, v => Assert.Equal(1, v));
    }

    [Fact]
    public void Invoke_SeveralActionsThrow_ThrowsTheFirstInArgumentOrder()
    {
        var ran = 0;
        var thrown = Record.Exception(() => ParallelBuild.Invoke(
            () => Interlocked.Increment(ref ran),
            () => throw new ArgumentException("second"),
            () => throw new InvalidOperationException("third")));

        Assert.IsType<ArgumentException>(thrown);
        Assert.Equal(1, ran);
    }

    [Theory]
    [InlineData(ParallelBuild.Threshold - 1, false)]
    [InlineData(ParallelBuild.Threshold, true)]
    public void Pays_ItemCount_GoesParallelFromTheThreshold(int items, bool expected)
    {
        Assert.Equal(expected, ParallelBuild.Pays(items));
        Assert.True(ParallelBuild.Pays(1, force: true));
        Assert.False(ParallelBuild.Pays(1_000_000, force: false));
    }

    private static IEnumerable<string> Documents(TenantState state) =>
        state.Users.Values.Select(u => $"user {u.Id} {u.Enabled} {string.Join(',', u.Attributes.Select(a => $"{a.Key}={a.Value}"))}")
            .Concat(state.Groups.Values.Select(g => $"group {g.Id} {string.Join(',', g.MemberUsers)} / {string.Join(',', g.MemberGroups)}"))
            .Concat(state.Agents.Values.Select(a => $"agent {a.Id} {a.Enabled} {a.Owner}"))
            .Concat(state.Tools.Values.Select(t => $"tool {t.Id} {t.Server} {t.Sensitivity}"))
            .Concat(state.Servers.Values.Select(s => $"server {s.Id} {s.Sensitivity}"))
            .Concat(state.Policies.Values.Select(p => $"policy {p.Id} {p.Effect} {string.Join(',', p.Actions)}"))
            .Order(StringComparer.Ordinal);

    private static IEnumerable<string> Rejections(TenantState state) =>
        state.Rejected.Select(r => $"{r.Key}: {string.Join("; ", r.Value.Select(p => $"{p.Path} {p.Message}"))}").Order(StringComparer.Ordinal);

    /// <summary>A table's entries in its own order (the order is the layout: the same order means the same slots).</summary>
    private static List<string> Entries(ShardedTable<string[]> table) => [.. table.Items.Select(e => $"{e.Key}={string.Join(',', e.Value)}")];

    private static List<string> Principals(DirectoryTables tables) =>
        [.. tables.Principals.Items.Select(e => $"{e.Key} {e.Value.Fact?.Id} {e.Value.Enabled} {string.Join(',', Enumerable.Range(0, e.Value.GroupCount).Select(e.Value.Group))}")];

    /// <summary>Which entries share an array: a member's closure with their direct groups, and one-group members' closures with each other.</summary>
    private static List<string> Sharing(DirectoryTables tables)
    {
        var closures = new Dictionary<string[], string>(ReferenceEqualityComparer.Instance);
        var result = new List<string>();
        foreach (var (id, closure) in tables.Closure.Items)
        {
            var direct = tables.DirectGroups.GetValueOrDefault(id);
            var sharedWith = closures.TryAdd(closure, id) ? "" : closures[closure];
            result.Add($"{id} {ReferenceEquals(direct, closure)} {sharedWith}");
        }
        return result;
    }

    private static (bool Allowed, string Reason, string Policies) Answer(PolicySnapshot snapshot, DecisionRequest request)
    {
        var d = snapshot.Evaluate(request);
        return (d.Allowed, d.ReasonAdmin, string.Join(',', d.MatchedPolicies));
    }

    /// <summary>
    /// Users (ids past the documents are members without one), groups with nesting (cycles allowed), a few heavy users in
    /// 70 groups, policies naming groups, agents, tools — and documents that are invalid, repeated, or deleted again.
    /// </summary>
    private static List<SourceChange> Tenant(Random rng)
    {
        var changes = new List<SourceChange> { new("user", "u-bad-first", JsonSerializer.SerializeToElement(new JsonArray())) };
        for (var u = 0; u < Users; u++)
            changes.Add(UserDoc(rng, "u" + u));
        var heavy = Enumerable.Range(0, 5).Select(i => "u" + (i * 997)).ToList();
        for (var g = 0; g < Groups; g++)
        {
            var members = Enumerable.Range(0, rng.Next(30)).Select(_ => "u" + rng.Next(Users + 50)).ToList();
            if (g < 70)
                members.AddRange(heavy);
            var nested = rng.Next(3) == 0 ? Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => "g" + rng.Next(Groups + 4)) : [];
            changes.Add(Doc("group", "g" + g, new JsonObject { ["memberUsers"] = Strings(members), ["memberGroups"] = Strings(nested) }));
        }
        for (var a = 0; a < Agents; a++)
            changes.Add(Doc("agent", "a" + a, new JsonObject { ["enabled"] = rng.Next(5) > 0, ["owner"] = "u" + rng.Next(Users + 50) }));
        changes.Add(Doc("mcpServer", "s0", new JsonObject { ["sensitivity"] = "public" }));
        for (var t = 0; t < Tools; t++)
            changes.Add(Doc("tool", "t" + t, new JsonObject { ["server"] = "s0", ["sensitivity"] = rng.Next(2) == 0 ? "public" : "confidential" }));
        for (var p = 0; p < 120; p++)
            changes.Add(PolicyDoc(rng, "p" + p, Groups, Agents, Tools));
        changes.Add(Doc("policy", "p-misnamed", new JsonObject { ["effect"] = "permit", ["actions"] = Strings(["tools/call"]) }, bodyId: "p-other"));
        changes.Add(Doc("settings", "other", new JsonObject()));
        changes.Add(Doc("settings", TenantSettings.DocumentId, new JsonObject { ["assertedResourceTypes"] = Strings(["document"]) }));
        changes.Add(Doc("governance", "x", new JsonObject()));
        // A repeated document: the last version counts (u1 rejected then valid; u2 valid then rejected; u3 written then deleted).
        changes.Insert(changes.Count / 2, new SourceChange("user", "u1", JsonSerializer.SerializeToElement(new JsonArray())));
        changes.Insert(changes.Count / 2, new SourceChange("user", "u2", JsonSerializer.SerializeToElement(new JsonArray())));
        changes.Add(new SourceChange("user", "u3", null));
        changes.Add(UserDoc(rng, "u1"));
        changes.Add(new SourceChange("user", "u-bad-last", JsonSerializer.SerializeToElement("not an object")));
        return changes;
    }
}
