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

    public TenantState Apply(IEnumerable<SourceChange> changes) => Apply(changes, parallel: null);

    /// <summary>
    /// <see cref="Apply(IEnumerable{SourceChange})"/>; a batch of <see cref="ParallelBuild.Threshold"/> changes or more
    /// (a tenant's first load) is read — hashed and parsed, each document on its own — on all cores, then applied in
    /// order, so the state is the one a loop gives. <paramref name="parallel"/> forces either path (tests).
    /// </summary>
    internal TenantState Apply(IEnumerable<SourceChange> changes, bool? parallel)
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

        // A lazy sequence stays lazy (and sequential) unless it can say how long it is.
        var batch = changes as IReadOnlyList<SourceChange>;
        if (batch is null && changes.TryGetNonEnumeratedCount(out var known) && ParallelBuild.Pays(known, parallel))
            batch = [.. changes];
        var bulk = batch is not null && ParallelBuild.Pays(batch.Count, parallel);

        ImmutableDictionary<string, Policy> policyTable = null!;
        ImmutableDictionary<string, UserFact> userTable = null!;
        ImmutableDictionary<string, GroupFact> groupTable = null!;
        ImmutableDictionary<string, AgentFact> agentTable = null!;
        ImmutableDictionary<string, McpServerFact> serverTable = null!;
        ImmutableDictionary<string, ToolFact> toolTable = null!;
        ImmutableDictionary<string, DataResourceFact> dataTable = null!;
        ImmutableDictionary<string, IReadOnlyList<Problem>> rejectedTable = null!;
        ShardedTable<long> hashTable = null!;
        if (!bulk)
        {
            foreach (var change in changes)
            {
                var document = ReadChange.Of(change);
                fingerprint ^= Account(change, document);
                Place(change, document);
            }
            FreezeAccounts();
            FreezeTables();
        }
        else
        {
            var read = ReadAll(batch!);
            // The loop stops at the first document that failed to read, before any later one is applied: so does this.
            foreach (var document in read)
                document.Failure?.Throw();
            // The accounts (rejections, hashes, fingerprint) and the tables each take every change in order; they share
            // nothing, so they are applied side by side, and each frozen as soon as it is complete.
            ParallelBuild.Invoke(
                () =>
                {
                    // Summed here and written once: a shared variable written per change would keep the other
                    // thread's reads of the tables waiting on the cache line they share.
                    var sum = 0L;
                    for (var i = 0; i < read.Length; i++)
                        sum ^= Account(batch![i], read[i]);
                    fingerprint ^= sum;
                    FreezeAccounts();
                },
                () =>
                {
                    for (var i = 0; i < read.Length; i++)
                        Place(batch![i], read[i]);
                    FreezeTables();
                });
        }

        return this with
        {
            Policies = policyTable,
            Users = userTable,
            Groups = groupTable,
            Agents = agentTable,
            Servers = serverTable,
            Tools = toolTable,
            DataResources = dataTable,
            Rejected = rejectedTable,
            Settings = settings,
            DocumentHashes = hashTable,
            Fingerprint = fingerprint,
            Delta = firstDirectory ? null : new DirectoryDelta(Users, Groups, changedUsers!, changedGroups!),
        };

        // What every source document counts for: its rejection (cleared, or set anew), and its hash, returned to be
        // XORed into the fingerprint (in place of the hash the document had).
        long Account(SourceChange change, in ReadChange document)
        {
            var key = document.Key;
            var delta = 0L;
            rejected.Remove(key);
            if (SourceKinds.IsSource(change.Kind))
            {
                var previous = hashes.TryGetValue(key, out var edited) ? edited : DocumentHashes.TryGetValue(key, out var stored) ? stored : null;
                delta = (previous ?? 0) ^ (document.Hash ?? 0);
                hashes[key] = document.Hash;
            }
            if (document.Problems is not null)
                rejected.Set(key, document.Problems);
            return delta;
        }

        // What the document reads as, in its table.
        void Place(SourceChange change, in ReadChange document)
        {
            switch (change.Kind)
            {
                case SourceKinds.Policy: Set(policies, change.Id, document.Value); break;
                case SourceKinds.User:
                    Set(users, change.Id, document.Value);
                    changedUsers?.Add(change.Id);
                    break;
                case SourceKinds.Group:
                    Set(groups, change.Id, document.Value);
                    changedGroups?.Add(change.Id);
                    break;
                case SourceKinds.Agent: Set(agents, change.Id, document.Value); break;
                case SourceKinds.McpServer: Set(servers, change.Id, document.Value); break;
                case SourceKinds.Tool: Set(tools, change.Id, document.Value); break;
                case SourceKinds.DataResource: Set(data, change.Id, document.Value); break;
                case SourceKinds.Settings when document.Value is TenantSettings newSettings:
                    settings = newSettings;
                    break;
                default: break; // a settings document with another id changes nothing; other kinds (governance state) do not feed decisions
            }
        }

        void FreezeAccounts()
        {
            rejectedTable = rejected.ToImmutable();
            hashTable = HashesWith(hashes);
        }

        void FreezeTables()
        {
            userTable = users.ToImmutable();
            policyTable = policies.ToImmutable();
            groupTable = groups.ToImmutable();
            agentTable = agents.ToImmutable();
            serverTable = servers.ToImmutable();
            toolTable = tools.ToImmutable();
            dataTable = data.ToImmutable();
        }
    }

    /// <summary>Every change of <paramref name="batch"/> read on all cores, in its place; a failure is kept for the apply loop to throw.</summary>
    private static ReadChange[] ReadAll(IReadOnlyList<SourceChange> batch)
    {
        var read = new ReadChange[batch.Count];
        ParallelBuild.For(batch.Count, (start, end) =>
        {
            for (var i = start; i < end; i++)
            {
                try
                {
                    read[i] = ReadChange.Of(batch[i]);
                }
                catch (Exception e)
                {
                    read[i] = new ReadChange(batch[i].Kind + "/" + batch[i].Id, null, null, null, System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e));
                }
            }
        });
        return read;
    }

    /// <summary>
    /// One change as read, before it is applied: its "kind/id" key, its document's hash (null when deleted or not a
    /// source document), what the document reads as (a policy, a fact, settings; null when deleted or unusable) and why
    /// it was rejected. Depends on the change alone, so any thread may read it.
    /// </summary>
    private readonly record struct ReadChange(string Key, long? Hash, object? Value, IReadOnlyList<Problem>? Problems,
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? Failure = null)
    {
        public static ReadChange Of(SourceChange change)
        {
            var key = change.Kind + "/" + change.Id;
            long? hash = SourceKinds.IsSource(change.Kind) && change.Body is { } hashed ? DocumentHash(key, hashed) : null;
            string? error = null;
            object? value = null;
            IReadOnlyList<Problem>? problems = null;
            switch (change.Kind)
            {
                case SourceKinds.Policy when change.Body is { } policyBody:
                    var parsed = PolicyParser.Parse(policyBody, stored: true);
                    if (parsed.IsValid && parsed.Policy!.Id == change.Id)
                        value = parsed.Policy;
                    else
                        problems = parsed.IsValid ? [new Problem("/id", $"policy id '{parsed.Policy!.Id}' differs from the document id")] : parsed.Problems;
                    break;
                case SourceKinds.User: value = Read(change, FactReader.ReadUser, out error); break;
                case SourceKinds.Group: value = Read(change, FactReader.ReadGroup, out error); break;
                case SourceKinds.Agent: value = Read(change, FactReader.ReadAgent, out error); break;
                case SourceKinds.McpServer: value = Read(change, FactReader.ReadServer, out error); break;
                case SourceKinds.Tool: value = Read(change, FactReader.ReadTool, out error); break;
                case SourceKinds.DataResource: value = Read(change, FactReader.ReadDataResource, out error); break;
                case SourceKinds.Settings when change.Id != TenantSettings.DocumentId:
                    error = $"the settings document's id is '{TenantSettings.DocumentId}'";
                    break;
                case SourceKinds.Settings:
                    // Unreadable settings close the world rather than open it.
                    value = change.Body is { } settingsBody ? TenantSettings.Read(settingsBody, out error) ?? TenantSettings.Closed : TenantSettings.Default;
                    break;
                default: break;
            }
            if (error is not null)
                problems = [new Problem("", error)];
            return new ReadChange(key, hash, value, problems);
        }

        private static T? Read<T>(SourceChange change, Reader<T> read, out string? error)
            where T : class
        {
            error = null;
            return change.Body is { } body ? read(change.Id, body, out error) : null;
        }
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

    /// <summary>Sets the entry to what the document read as, or removes it when deleted or unusable (fail closed).</summary>
    private static void Set<T>(TableEdits<T> target, string id, object? value)
        where T : class
    {
        if (value is T fact)
            target.Set(id, fact);
        else
            target.Remove(id);
    }
}
