using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;
using Microsoft.Extensions.Time.Testing;

using static Arbiter.Engine.Tests.RandomTenantDocs;

namespace Arbiter.Engine.Tests;

/// <summary>
/// A snapshot updated change by change (users, memberships, nesting with cycles, deletions, members without a user
/// document, now and then a policy or an agent) must decide exactly as one built from scratch from the same
/// documents, and a published snapshot must keep its answers while later ones are built from it.
/// </summary>
public sealed class IncrementalDirectoryTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private const int Users = 60, Groups = 14, Agents = 6, Tools = 12;

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 30)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Apply_RandomDirectoryChangeSequence_DecidesLikeAFullBuild(int seed)
    {
        var rng = new Random(seed);
        var documents = new Dictionary<(string Kind, string Id), SourceChange>();
        foreach (var change in InitialTenant(rng))
            documents[(change.Kind, change.Id)] = change;
        var requests = Requests(rng, 150, Users + 3, Agents, Tools);
        var snapshot = PolicySnapshot.Build("t", TenantState.Empty.Apply(documents.Values), 1, Clock);

        for (var step = 0; step < 40; step++)
        {
            var batch = Enumerable.Range(0, 1 + rng.Next(rng.Next(4) == 0 ? 6 : 2)).Select(_ => RandomChange(rng)).ToList();
            var published = snapshot;
            var publishedAnswers = requests.Select(r => Answer(published, r)).ToList();

            snapshot = snapshot.Apply(batch, step + 2);
            foreach (var change in batch)
            {
                if (change.Body is null)
                    documents.Remove((change.Kind, change.Id));
                else
                    documents[(change.Kind, change.Id)] = change;
            }
            var full = PolicySnapshot.Build("t", TenantState.Empty.Apply(documents.Values), step + 2, Clock);

            Assert.Equal(full.Version, snapshot.Version);
            for (var u = 0; u < Users + 3; u++)
                Assert.Equal(full.GroupsOf("u" + u), snapshot.GroupsOf("u" + u));
            foreach (var request in requests)
                Assert.Equal(Answer(full, request), Answer(snapshot, request));
            // The snapshot the change was applied to still answers as it did.
            Assert.Equal(publishedAnswers, requests.Select(r => Answer(published, r)).ToList());
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Apply_WholeTenantAtOnce_EqualsTheSameChangesOneByOne(int seed)
    {
        // The first load of a tenant fills plain tables once; later changes edit them: both must give the same state.
        var rng = new Random(seed);
        var changes = InitialTenant(rng);
        changes.AddRange(Enumerable.Range(0, 80).Select(_ => RandomChange(rng)));
        changes.Add(Doc("policy", "p-misnamed", new JsonObject { ["effect"] = "permit", ["actions"] = Strings(["tools/call"]) }));
        changes.Add(new SourceChange("user", "u-unreadable", JsonSerializer.SerializeToElement(new JsonArray())));
        var requests = Requests(rng, 150, Users + 3, Agents, Tools);

        var atOnce = TenantState.Empty.Apply(changes);
        var oneByOne = changes.Aggregate(TenantState.Empty, (state, change) => state.Apply([change]));
        var next = UserDoc(rng, "u1");

        Assert.Equal(oneByOne.Fingerprint, atOnce.Fingerprint);
        Assert.Equal(Directory(oneByOne), Directory(atOnce));
        Assert.Equal(oneByOne.Policies.Keys.Order(StringComparer.Ordinal), atOnce.Policies.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(oneByOne.Rejected.Keys.Order(StringComparer.Ordinal), atOnce.Rejected.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(oneByOne.Apply([next]).Fingerprint, atOnce.Apply([next]).Fingerprint);
        var full = PolicySnapshot.Build("t", oneByOne, 1, Clock);
        var bulk = PolicySnapshot.Build("t", atOnce, 1, Clock);
        for (var u = 0; u < Users + 3; u++)
            Assert.Equal(full.GroupsOf("u" + u), bulk.GroupsOf("u" + u));
        foreach (var request in requests)
            Assert.Equal(Answer(full, request), Answer(bulk, request));
    }

    [Fact]
    public void Apply_OneMembershipChange_CopiesOnlyTheTouchedShards()
    {
        var changes = new List<SourceChange>();
        for (var u = 0; u < 5000; u++)
            changes.Add(Doc("user", "u" + u, new JsonObject { ["enabled"] = true }));
        changes.Add(Doc("group", "g0", new JsonObject { ["memberUsers"] = Strings(Enumerable.Range(0, 5000).Where(i => i % 2 == 0).Select(i => "u" + i)), ["memberGroups"] = new JsonArray() }));
        var state = TenantState.Empty.Apply(changes);
        var before = DirectoryTables.Build(state, System.Collections.Frozen.FrozenDictionary<string, int>.Empty);

        var joined = state.Apply([Doc("group", "g0", new JsonObject { ["memberUsers"] = Strings(Enumerable.Range(0, 5000).Where(i => i % 2 == 0 || i == 1).Select(i => "u" + i)), ["memberGroups"] = new JsonArray() })]);
        var after = DirectoryTables.For(joined, before.GroupOrdinals, before);

        Assert.Equal(["g0"], after.Closure.GetValueOrDefault("u1") ?? []);
        Assert.Null(before.Closure.GetValueOrDefault("u1"));
        var shared = before.Principals.ShardCount - Enumerable.Range(0, before.Principals.ShardCount).Count(i => !before.Principals.SharesShard(after.Principals, i));
        Assert.Equal(before.Principals.ShardCount - 1, shared);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(3000)]
    public void Fingerprint_OneDocument_IsTheSha256OfKindIdAndBody(int nameLength)
    {
        // Versions are compared across instances and restarts: the hash of a document must not change with the code.
        var body = JsonSerializer.SerializeToElement(new JsonObject { ["id"] = "u1", ["enabled"] = true, ["displayName"] = new string('x', nameLength) });
        var raw = System.Text.Encoding.UTF8.GetBytes(body.GetRawText());
        var expected = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(
            System.Security.Cryptography.SHA256.HashData([.. System.Text.Encoding.UTF8.GetBytes("user/u1\n"), .. raw]));

        var state = TenantState.Empty.Apply([new SourceChange("user", "u1", body)]);

        Assert.Equal(expected, state.Fingerprint);
    }

    private static IEnumerable<string> Directory(TenantState state) =>
        state.Users.Values.Select(u => $"user {u.Id} {u.Enabled} {string.Join(',', u.Attributes.Select(a => $"{a.Key}={a.Value}"))}")
            .Concat(state.Groups.Values.Select(g => $"group {g.Id} {string.Join(',', g.MemberUsers)} / {string.Join(',', g.MemberGroups)}"))
            .Concat(state.Agents.Values.Select(a => $"agent {a.Id} {a.Enabled} {a.Owner}"))
            .Order(StringComparer.Ordinal);

    private static (bool Allowed, string Reason, string Policies) Answer(PolicySnapshot snapshot, DecisionRequest request)
    {
        var d = snapshot.Evaluate(request);
        return (d.Allowed, d.ReasonAdmin, string.Join(',', d.MatchedPolicies));
    }

    private static List<SourceChange> InitialTenant(Random rng)
    {
        var changes = new List<SourceChange>();
        for (var u = 0; u < Users; u++)
            changes.Add(UserDoc(rng, "u" + u));
        for (var g = 0; g < Groups; g++)
            changes.Add(GroupDoc(rng, "g" + g));
        for (var a = 0; a < Agents; a++)
            changes.Add(Doc("agent", "a" + a, new JsonObject { ["enabled"] = true, ["owner"] = "u" + rng.Next(Users + 3) }));
        changes.Add(Doc("mcpServer", "s0", new JsonObject { ["sensitivity"] = "public" }));
        for (var t = 0; t < Tools; t++)
            changes.Add(Doc("tool", "t" + t, new JsonObject { ["server"] = "s0", ["sensitivity"] = rng.Next(2) == 0 ? "public" : "confidential" }));
        for (var p = 0; p < 24; p++)
            changes.Add(PolicyDoc(rng, "p" + p, Groups, Agents, Tools));
        return changes;
    }

    /// <summary>Mostly user and group documents (written, rewritten, deleted); sometimes a policy (it may name a new group) or an agent.</summary>
    private static SourceChange RandomChange(Random rng) => rng.Next(20) switch
    {
        < 6 => rng.Next(5) == 0 ? new SourceChange("user", "u" + rng.Next(Users + 3), null) : UserDoc(rng, "u" + rng.Next(Users + 3)),
        < 17 => rng.Next(8) == 0 ? new SourceChange("group", "g" + rng.Next(Groups + 2), null) : GroupDoc(rng, "g" + rng.Next(Groups + 2)),
        < 19 => PolicyDoc(rng, "p" + rng.Next(30), Groups, Agents, Tools),
        _ => Doc("agent", "a" + rng.Next(Agents), new JsonObject { ["enabled"] = rng.Next(4) > 0, ["owner"] = "u" + rng.Next(Users + 3) }),
    };

    /// <summary>A group with random members — ids past the user documents are members without one — and, for some, nested groups (cycles allowed).</summary>
    private static SourceChange GroupDoc(Random rng, string id)
    {
        var users = Enumerable.Range(0, rng.Next(12)).Select(_ => "u" + rng.Next(Users + 3));
        var groups = rng.Next(3) == 0 ? Enumerable.Range(0, 1 + rng.Next(2)).Select(_ => "g" + rng.Next(Groups + 2)) : [];
        return Doc("group", id, new JsonObject { ["memberUsers"] = Strings(users), ["memberGroups"] = Strings(groups) });
    }
}
