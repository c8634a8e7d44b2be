using System.Collections.Immutable;
using System.Text.Json;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>The kinds of source document a snapshot is built from (the same names the store uses).</summary>
public static class SourceKinds
{
    public const string Policy = "policy";
    public const string User = "user";
    public const string Group = "group";
    public const string Agent = "agent";
    public const string McpServer = "mcpServer";
    public const string Tool = "tool";
    public const string DataResource = "dataResource";
    public const string Settings = "settings";

    public static bool IsSource(string kind) => kind is Policy or User or Group or Agent or McpServer or Tool or DataResource or Settings;
}

/// <summary>One change to a source document: its new body, or null when it was deleted.</summary>
public readonly record struct SourceChange(string Kind, string Id, JsonElement? Body);

/// <summary>
/// The facts and policies of one tenant, as parsed documents. Immutable: <see cref="Apply"/> returns a new state that
/// shares everything it did not change, so a change costs what it touches, not the whole tenant.
/// </summary>
public sealed record TenantState
{
    public static readonly TenantState Empty = new();

    public ImmutableDictionary<string, Policy> Policies { get; init; } = ImmutableDictionary.Create<string, Policy>(StringComparer.Ordinal);
    public ImmutableDictionary<string, UserFact> Users { get; init; } = ImmutableDictionary.Create<string, UserFact>(StringComparer.Ordinal);
    public ImmutableDictionary<string, GroupFact> Groups { get; init; } = ImmutableDictionary.Create<string, GroupFact>(StringComparer.Ordinal);
    public ImmutableDictionary<string, AgentFact> Agents { get; init; } = ImmutableDictionary.Create<string, AgentFact>(StringComparer.Ordinal);
    public ImmutableDictionary<string, McpServerFact> Servers { get; init; } = ImmutableDictionary.Create<string, McpServerFact>(StringComparer.Ordinal);
    public ImmutableDictionary<string, ToolFact> Tools { get; init; } = ImmutableDictionary.Create<string, ToolFact>(StringComparer.Ordinal);
    public ImmutableDictionary<string, DataResourceFact> DataResources { get; init; } = ImmutableDictionary.Create<string, DataResourceFact>(StringComparer.Ordinal);

    /// <summary>The tenant's settings document (<see cref="TenantSettings.Default"/> without one; <see cref="TenantSettings.Closed"/> when unreadable).</summary>
    public TenantSettings Settings { get; init; } = TenantSettings.Default;

    /// <summary>
    /// Identifies the stored documents the state was built from: the XOR of one hash per document (kind, id, body), so
    /// the same documents give the same version on every instance and after a restart, and a change costs one hash.
    /// </summary>
    public long Fingerprint { get; init; }

    /// <summary>Each document's hash by "kind/id", to take it out of <see cref="Fingerprint"/> when the document changes.</summary>
    private ShardedTable<long> DocumentHashes { get; init; } = ShardedTable<long>.Empty;

    /// <summary>The user and group documents the last <see cref="Apply"/> changed (null on <see cref="Empty"/>, and when that Apply loaded the first users or groups: the tables are built from scratch).</summary>
    public DirectoryDelta? Delta { get; private init; }

    /// <summary>Stored documents that could not be used (kind/id → problems). They are left out: fail closed.</summary>
    public ImmutableDictionary<string, IReadOnlyList<Problem>> Rejected { get; init; } = ImmutableDictionary.Create<string, IReadOnlyList<Problem>>(StringComparer.Ordinal);

    public TenantState Apply(IEnumerable<SourceChange> changes)
    {
        var policies = new TableEdits<Policy>(Policies);
        var users = new TableEdits<UserFact>(Users);
        var groups = new TableEdits<GroupFact>(Groups);
        var agents = new TableEdits<AgentFact>(Agents);
        var servers = new TableEdits<McpServerFact>(Servers);
        var tools = new TableEdits<ToolFact>(Tools);
        var data = new TableEdits<DataResourceFact>(DataResources);
        var rejected = new TableEdits<IReadOnlyList<Problem>>(Rejected);
        var hashes = new Dictionary<string, long?>(StringComparer.Ordinal); // kind/id → new hash, or null when deleted
        var fingerprint = Fingerprint;
        var settings = Settings;
        // A state with no directory yet (the first load of a tenant) has no previous tables to patch: the snapshot
        // builds them from scratch, so the changed ids (a million on a large tenant) are not collected.
        var firstDirectory = Users.IsEmpty && Groups.IsEmpty;
        var changedUsers = firstDirectory ? null : new HashSet<string>(StringComparer.Ordinal);
        var changedGroups = firstDirectory ? null : new HashSet<string>(StringComparer.Ordinal);

        foreach (var change in changes)
        {
            var key = change.Kind + "/" + change.Id;
            rejected.Remove(key);
            if (SourceKinds.IsSource(change.Kind))
            {
                var previous = hashes.TryGetValue(key, out var edited) ? edited : DocumentHashes.TryGetValue(key, out var stored) ? stored : null;
                fingerprint ^= previous ?? 0;
                long? hash = change.Body is { } hashed ? DocumentHash(key, hashed) : null;
                fingerprint ^= hash ?? 0;
                hashes[key] = hash;
            }
            string? error = null;
            switch (change.Kind)
            {
                case SourceKinds.Policy:
                    if (change.Body is not { } policyBody) { policies.Remove(change.Id); break; }
                    var parsed = PolicyParser.Parse(policyBody, stored: true);
                    if (parsed.IsValid && parsed.Policy!.Id == change.Id)
                        policies.Set(change.Id, parsed.Policy);
                    else
                    {
                        policies.Remove(change.Id);
                        rejected.Set(key, parsed.IsValid ? [new Problem("/id", $"policy id '{parsed.Policy!.Id}' differs from the document id")] : parsed.Problems);
                    }
                    break;
                case SourceKinds.User:
                    Set(users, change, FactReader.ReadUser, ref error);
                    changedUsers?.Add(change.Id);
                    break;
                case SourceKinds.Group:
                    Set(groups, change, FactReader.ReadGroup, ref error);
                    changedGroups?.Add(change.Id);
                    break;
                case SourceKinds.Agent: Set(agents, change, FactReader.ReadAgent, ref error); break;
                case SourceKinds.McpServer: Set(servers, change, FactReader.ReadServer, ref error); break;
                case SourceKinds.Tool: Set(tools, change, FactReader.ReadTool, ref error); break;
                case SourceKinds.DataResource: Set(data, change, FactReader.ReadDataResource, ref error); break;
                case SourceKinds.Settings when change.Id != TenantSettings.DocumentId:
                    error = $"the settings document's id is '{TenantSettings.DocumentId}'";
                    break;
                case SourceKinds.Settings:
                    // Unreadable settings close the world rather than open it.
                    settings = change.Body is { } settingsBody ? TenantSettings.Read(settingsBody, out error) ?? TenantSettings.Closed : TenantSettings.Default;
                    break;
                default: break; // other kinds (governance state) do not feed decisions
            }
            if (error is not null)
                rejected.Set(key, [new Problem("", error)]);
        }

        return this with
        {
            Policies = policies.ToImmutable(),
            Users = users.ToImmutable(),
            Groups = groups.ToImmutable(),
            Agents = agents.ToImmutable(),
            Servers = servers.ToImmutable(),
            Tools = tools.ToImmutable(),
            DataResources = data.ToImmutable(),
            Rejected = rejected.ToImmutable(),
            Settings = settings,
            DocumentHashes = HashesWith(hashes),
            Fingerprint = fingerprint,
            Delta = firstDirectory ? null : new DirectoryDelta(Users, Groups, changedUsers!, changedGroups!),
        };
    }

    private ShardedTable<long> HashesWith(Dictionary<string, long?> edits)
    {
        if (DocumentHashes.Count > 0)
            return DocumentHashes.With(edits.Select(e => e.Value is { } hash ? TableEdit<long>.Set(e.Key, hash) : TableEdit<long>.Delete(e.Key)));
        // The first load of a tenant: one table filled once, not a million inserts.
        var items = new List<KeyValuePair<string, long>>(edits.Count);
        foreach (var (key, hash) in edits)
        {
            if (hash is { } value)
                items.Add(new(key, value));
        }
        return items.Count == 0 ? DocumentHashes : ShardedTable<long>.From(items);
    }

    private static long DocumentHash(string key, JsonElement body)
    {
        // SHA-256 over "kind/id\n" and the raw body, without a buffer per document: a 1 M-user tenant hashes a million.
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(body);
        var keyLength = System.Text.Encoding.UTF8.GetByteCount(key) + 1;
        var total = keyLength + raw.Length;
        byte[]? rented = null;
        var bytes = total <= 1024 ? stackalloc byte[total] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(total)).AsSpan(0, total);
        System.Text.Encoding.UTF8.GetBytes(key, bytes);
        bytes[keyLength - 1] = (byte)'\n';
        raw.CopyTo(bytes[keyLength..]);
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(bytes, hash);
        if (rented is not null)
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        return System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(hash);
    }

    private delegate T? Reader<T>(string id, JsonElement body, out string? error);

    private static void Set<T>(TableEdits<T> target, SourceChange change, Reader<T> read, ref string? error)
        where T : class
    {
        if (change.Body is not { } body)
        {
            target.Remove(change.Id);
            return;
        }
        var fact = read(change.Id, body, out error);
        if (fact is null)
            target.Remove(change.Id);
        else
            target.Set(change.Id, fact);
    }
}
